using System.Diagnostics.Metrics;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

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
    public void Transition_CountsByWorkflowAndStatus()
    {
        _metrics.Transition("launch", OperationStatus.Pending);
        _metrics.Transition("launch", OperationStatus.Succeeded);

        var transitions = _measured.Where(m => m.Instrument == "ldfleet.operations.transitions").ToList();
        Assert.Equal(["Pending", "Succeeded"], transitions.Select(m => (string)m.Tags["ldfleet.status"]!));
        Assert.All(transitions, m => Assert.Equal("launch", m.Tags["ldfleet.workflow"]));
    }

    [Fact]
    public void CommandAnswered_RecordsSecondsFromSendToResult_AndSkipsStepsWithoutAnAnswer()
    {
        var sent = _time.GetUtcNow();
        var answered = Step("launch", OperationStatus.Succeeded, null, sent, sent.AddMilliseconds(250));

        _metrics.CommandAnswered(answered);
        _metrics.CommandAnswered(answered with { Status = OperationStatus.TimedOut, ErrorCode = "NoAnswer" });
        _metrics.CommandAnswered(answered with { CompletedAt = null });

        var latency = Assert.Single(_measured, m => m.Instrument == "ldfleet.command.latency");
        Assert.Equal(0.25, latency.Value, precision: 3);
        Assert.Equal(("launch", "Succeeded"), ((string)latency.Tags["ldfleet.action"]!, (string)latency.Tags["ldfleet.outcome"]!));
    }

    [Fact]
    public void ReportDropped_CountsByReason()
    {
        _metrics.ReportDropped("Finished");
        _metrics.ReportDropped("UnknownOperation");

        Assert.Equal(["Finished", "UnknownOperation"], _measured.Where(m => m.Instrument == "ldfleet.relay.reports.dropped").Select(m => (string)m.Tags["reason"]!));
    }

    private static StepView Step(string action, OperationStatus status, string? errorCode, DateTimeOffset dispatchedAt, DateTimeOffset? completedAt) => new(
        action, action, 0, status, 1, "op.1.1", dispatchedAt, dispatchedAt.AddMinutes(5), dispatchedAt.AddMinutes(7), dispatchedAt, null, completedAt,
        0, "", errorCode, null, new Dictionary<string, string>());

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
