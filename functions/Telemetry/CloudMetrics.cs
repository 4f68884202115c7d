using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations;
using LdFleet.Protocol.Telemetry;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Telemetry;

/// <summary>
/// The cloud app's metrics: operation state transitions, command latency (send to result) and relays online.
/// Everything is counted where the engine already is; no instrument reads storage.
/// </summary>
internal sealed class CloudMetrics
{
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _latency;
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
            "ldfleet.operations.transitions", unit: "{operation}", description: "Operations entering a state (workflow, status); created operations count as entering their first state.");
        _latency = meter.CreateHistogram<double>(
            "ldfleet.command.latency", unit: "s", description: "From a command's send time to its result being applied in the cloud (action, outcome).");
        meter.CreateObservableGauge(
            "ldfleet.relays.online", OnlineRelays, unit: "{relay}",
            description: "Relays whose heartbeat this instance received within Relays:OfflineAfter.");
    }

    /// <summary>Counts a change of the operation's status (nothing when the status stayed the same).</summary>
    public void Transition(Operation? before, Operation after)
    {
        ArgumentNullException.ThrowIfNull(after);
        if (before?.Status == after.Status)
        {
            return;
        }

        _transitions.Add(1, new(FleetTelemetry.Tags.Workflow, after.Workflow), new(FleetTelemetry.Tags.Status, after.Status.ToString()));
    }

    /// <summary>Records how long a step's command took from its send time until its result was applied.</summary>
    public void CommandAnswered(Step step, string outcome)
    {
        ArgumentNullException.ThrowIfNull(step);
        var elapsed = _time.GetUtcNow() - (step.DispatchedAt ?? step.SendAt);
        if (elapsed >= TimeSpan.Zero)
        {
            _latency.Record(elapsed.TotalSeconds, new(FleetTelemetry.Tags.Action, step.Action), new(FleetTelemetry.Tags.Outcome, outcome));
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
