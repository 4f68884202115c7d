using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Telemetry;
using LdFleet.Relay.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Telemetry;

internal static class RelayTelemetryExtensions
{
    /// <summary>The service name the relay's spans and metrics carry.</summary>
    public const string ServiceName = "ldfleet-relay";

    /// <summary>Serilog console logging, traces and metrics (see README, Observability), and the depth of the site's command queue.</summary>
    public static HostApplicationBuilder AddRelayTelemetry(this HostApplicationBuilder builder)
    {
        builder.AddFleetTelemetryCore(ServiceName);
        builder.Services.TryAddSingleton<RelayMetrics>();
        builder.Services.AddQueueDepthMetric(sp => QueueNames.Commands(sp.GetRequiredService<IOptions<RelayOptions>>().Value.SiteId));
        return builder;
    }
}
