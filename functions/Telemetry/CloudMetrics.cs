using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations;
using LdFleet.Protocol.Telemetry;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Telemetry;

/// <summary>
/// The cloud app's metrics: operations created and ended, command latency (send to result) and relays online.
/// Counted where the work already is (the API, the activity that records an operation's end); no instrument reads
/// storage. Orchestrators never count: they replay.
/// </summary>
internal sealed class CloudMetrics
{
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _dropped;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _heartbeats = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<RelaysOptions> _relays;

    public CloudMetrics(IMeterFactory meters, TimeProvider time, IOptionsMonitor<RelaysOptions> relays)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _time = time;
        _relays = relays;
        var meter = meters.Create(FleetTelemetry.Name);
        _transitions = meter.CreateCounter<long>(
            "ldfleet.operations.transitions", unit: "{operation}", description: "Operations entering a state (workflow, status): Pending when created, then the state they end in.");
        _latency = meter.CreateHistogram<double>(
            "ldfleet.command.latency", unit: "s", description: "From a command's send to its result reaching the orchestration (action, outcome), recorded when the operation ends.");
        _dropped = meter.CreateCounter<long>(
            "ldfleet.relay.reports.dropped", unit: "{report}", description: "Relay reports dropped (reason: UnknownOperation, Finished, Duplicate, ForeignSite, Invalid).");
        meter.CreateObservableGauge(
            "ldfleet.relays.online", OnlineRelays, unit: "{relay}",
            description: "Relays whose heartbeat this instance received within Relays:OfflineAfter.");
    }

    /// <summary>Counts an operation entering <paramref name="status"/>: created ones enter Pending, finished ones their end.</summary>
    public void Transition(string workflow, OperationStatus status) =>
        _transitions.Add(1, new(FleetTelemetry.Tags.Workflow, workflow), new(FleetTelemetry.Tags.Status, status.ToString()));

    /// <summary>Counts a relay report that was not applied, by why.</summary>
    public void ReportDropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Records how long a finished step's command took from its send until its result arrived.</summary>
    public void CommandAnswered(StepView step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.CompletedAt is not { } completed || step.ErrorCode is "NoAnswer" or "Cancelled" or "Expired")
        {
            return;
        }

        var elapsed = completed - (step.DispatchedAt ?? step.SendAt);
        if (elapsed >= TimeSpan.Zero)
        {
            _latency.Record(elapsed.TotalSeconds, new(FleetTelemetry.Tags.Action, step.Action), new(FleetTelemetry.Tags.Outcome, step.Status.ToString()));
        }
    }

    /// <summary>
    /// Notes a heartbeat. The gauge counts from these in memory: with several instances each sees the heartbeats it
    /// consumed, and relays heartbeat several times per offline window, so each instance's count is a close lower
    /// bound (take the maximum across instances).
    /// </summary>
    public void Heartbeat(string siteId) => _heartbeats[siteId] = _time.GetUtcNow();

    /// <summary>Sites whose relay was heard from within the offline window.</summary>
    public int OnlineRelays()
    {
        var cutoff = _time.GetUtcNow() - _relays.CurrentValue.OfflineAfter;
        var online = 0;
        foreach (var (site, at) in _heartbeats)
        {
            if (at >= cutoff)
            {
                online++;
            }
            else
            {
                // Forget long-gone sites so a deleted site does not stay in memory forever.
                _heartbeats.TryRemove(new KeyValuePair<string, DateTimeOffset>(site, at));
            }
        }

        return online;
    }
}
