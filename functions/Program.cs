using LdFleet.Functions.Api;
using LdFleet.Functions.Batches;
using LdFleet.Functions.Dashboard;
using LdFleet.Functions.Diagnostics;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Apps;
using LdFleet.Functions.Audit;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Hosting;
using LdFleet.Functions.Idempotency;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations;
using LdFleet.Functions.RelayResults;
using LdFleet.Functions.Sites;
using LdFleet.Functions.Storage;
using LdFleet.Functions.Telemetry;

if (DevTokenCommand.IsInvoked(args))
{
    var settings = WebApplication.CreateBuilder();
    return DevTokenCommand.Run(args, settings.Configuration, settings.Environment, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddFleetTelemetry();
builder.AddFleetHosting();
builder.AddFleetStorage();
builder.AddFleetSecurity();
builder.AddFleetApi();
builder.AddFleetAudit();
builder.AddIdempotency();
builder.AddOperations();
builder.AddSelfHostedDurableTask();
builder.AddInventory();
builder.AddSites();
builder.AddApps();
builder.AddRelayResults();
builder.AddDashboard();

var app = builder.Build();

app.UseFleetApi();
app.MapOperationsApi();
app.MapBatchesApi();
app.MapDiagnostics();
app.MapInventoryApi();
app.MapSitesApi();
app.MapAppsApi();
app.MapAuditApi();
app.MapDashboard();

app.Run();
return 0;
