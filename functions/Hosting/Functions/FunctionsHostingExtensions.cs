using LdFleet.Functions.Batches.Orchestration;
using LdFleet.Functions.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Worker;

namespace LdFleet.Functions.Hosting.Functions;

internal static class FunctionsHostingExtensions
{
    /// <summary>
    /// The app as an isolated worker of the Functions host: the orchestrators and activities of <see cref="FleetTasks"/>
    /// become functions at start-up (no hand-written wrappers), the HTTP functions run the app's pipeline
    /// (<see cref="FunctionsApi"/>), and the host triggers the results queue and the cleanup timer.
    /// </summary>
    public static FunctionsApplicationBuilder AddFunctionsHosting(this FunctionsApplicationBuilder builder)
    {
        builder.ConfigureDurableWorker().AddTasks(FleetTasks.Register);
        builder.Services.AddSingleton<FunctionsApi>();
        builder.Services.AddScoped<StartBatchChildrenActivity>();

        // The OpenAPI document and link generation see the app's endpoints, as self-hosted (the worker's own routing
        // keeps its function endpoints: it never asks the container for this).
        builder.Services.AddSingleton<EndpointDataSource>(sp => sp.GetRequiredService<FunctionsApi>().Endpoints);

        // Fail at start, not at the first request, if a route of the app has no function.
        builder.Services.AddHostedService<FunctionsApiCheck>();
        return builder;
    }

    private sealed class FunctionsApiCheck(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<FunctionsApi>().BuildPipeline();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
