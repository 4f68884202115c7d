using System.Diagnostics.Metrics;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static LdFleet.Functions.Tests.Operations.Decide;

namespace LdFleet.Functions.Tests.Telemetry;

public sealed class CloudMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measured = [];
    private readonly MeterListener _listener = new();
    private readonly CloudMetrics _metrics;

    public CloudMetricsTests()
    {
        var meters = _services.GetRequiredService<IMeterFactory>();
        _metrics = new CloudMetrics(meters, _time, new StaticOptions(new RelaysOptions { OfflineAfter = TimeSpan.FromSeconds(90) }));
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    [Fact]
    public void Transition_CountsOnlyStatusChanges_ByWorkflowAndStatus()
    {
        var created = Start("launch", 0);
        var dispatched = created with { Status = OperationStatus.Dispatched };

        _metrics.Transition(null, created);
        _metrics.Transition(created, dispatched);
        _metrics.Transition(dispatched, dispatched with { UpdatedAt = dispatched.UpdatedAt.AddSeconds(1) });

        var transitions = _measured.Where(m => m.Instrument == "ldfleet.operations.transitions").ToList();
        Assert.Equal(["Pending", "Dispatched"], transitions.Select(m => (string)m.Tags["ldfleet.status"]!));
        Assert.All(transitions, m => Assert.Equal("launch", m.Tags["ldfleet.workflow"]));
    }

    [Fact]
    public void CommandAnswered_RecordsSecondsFromSendToResult()
    {
        var step = Start("launch", 0).Current!;
        _time.Advance(step.SendAt - _time.GetUtcNow() + TimeSpan.FromMilliseconds(250));

        _metrics.CommandAnswered(step, "Succeeded");

        var latency = Assert.Single(_measured, m => m.Instrument == "ldfleet.command.latency");
        Assert.Equal(0.25, latency.Value, precision: 3);
        Assert.Equal(("launch", "Succeeded"), ((string)latency.Tags["ldfleet.action"]!, (string)latency.Tags["ldfleet.outcome"]!));
    }

    [Fact]
    public void RelaysOnline_CountsSitesHeardFromWithinTheOfflineWindow()
    {
        _metrics.Heartbeat("lab");
        _time.Advance(TimeSpan.FromSeconds(60));
        _metrics.Heartbeat("paris");
        _metrics.Heartbeat("paris");
        Assert.Equal(2, ObserveOnline());

        _time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(1, ObserveOnline());
    }

    private int ObserveOnline()
    {
        _measured.Clear();
        _listener.RecordObservableInstruments();
        return (int)Assert.Single(_measured, m => m.Instrument == "ldfleet.relays.online").Value;
    }

    private void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct =>
        _measured.Add((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));

    private sealed class StaticOptions(RelaysOptions value) : IOptionsMonitor<RelaysOptions>
    {
        public RelaysOptions CurrentValue => value;

        public RelaysOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<RelaysOptions, string?> listener) => null;
    }
}
