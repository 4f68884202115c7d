using System.Diagnostics.Metrics;
using LdFleet.Protocol.Telemetry;

namespace LdFleet.Relay.Telemetry;

/// <summary>The relay's metrics: how long commands take to execute here (ldconsole runs and effect checks included).</summary>
internal sealed class RelayMetrics
{
    private readonly Histogram<double> _execution;

    public RelayMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _execution = meters.Create(FleetTelemetry.Name).CreateHistogram<double>(
            "ldfleet.relay.command.duration", unit: "s", description: "Execution time of a command on the relay (action, outcome, host).");
    }

    public void CommandExecuted(string action, string outcome, string hostId, TimeSpan elapsed) =>
        _execution.Record(
            elapsed.TotalSeconds,
            new(FleetTelemetry.Tags.Action, action),
            new(FleetTelemetry.Tags.Outcome, outcome),
            new(FleetTelemetry.Tags.HostId, hostId));
}
