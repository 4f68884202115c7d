using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Hosting;
using LdFleet.Functions.Hosting.Functions;
using LdFleet.Functions.Hosting.SelfHosted;
using Microsoft.Azure.Functions.Worker.Builder;

if (DevTokenCommand.IsInvoked(args))
{
    var settings = WebApplication.CreateBuilder();
    return DevTokenCommand.Run(args, settings.Configuration, settings.Environment, Console.Out, Console.Error);
}

if (FunctionsHost.Started(args))
{
    // Under the Azure Functions host: an isolated worker whose functions the host triggers.
    var functions = FunctionsApplication.CreateBuilder(args);
    functions.ConfigureFunctionsWebApplication();
    functions.AddFleetApp();
    functions.AddFunctionsHosting();
    functions.Build().Run();
    return 0;
}

// Self-hosted (local fleet, tests, on-premises): a plain ASP.NET Core app that also runs what the host would.
var builder = WebApplication.CreateBuilder(args);
builder.AddFleetApp();
builder.AddSelfHosting();

var app = builder.Build();
app.UseFleetPipeline();
app.MapFleetEndpoints();
app.Run();
return 0;
