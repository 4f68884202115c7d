using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Trace;

namespace LdFleet.Functions.Telemetry;

internal static class TelemetryServiceCollectionExtensions
{
    /// <summary>The service name the cloud app's spans and metrics carry.</summary>
    public const string ServiceName = "ldfleet-cloud";

    /// <summary>
    /// Serilog console logging, OpenTelemetry traces (ASP.NET Core requests and LdFleet's own spans) and metrics,
    /// with exporters chosen by configuration (see README, Observability).
    /// </summary>
    public static IHostApplicationBuilder AddFleetTelemetry(this IHostApplicationBuilder builder)
    {
        builder.AddFleetTelemetryCore(
            ServiceName,
            tracing: t => t.AddAspNetCoreInstrumentation(o =>
            {
                // Liveness probes every few seconds would drown the traces that matter.
                o.Filter = context => !context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase);
            }));
        builder.Services.AddHttpContextAccessor();
        HealthProbeLoggerFactory.Register(builder.Services);
        builder.Services.TryAddSingleton<CloudMetrics>();
        builder.Services.AddQueueDepthMetric(_ => QueueNames.Results);
        return builder;
    }
}
