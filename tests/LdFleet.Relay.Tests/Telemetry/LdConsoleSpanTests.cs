using System.Diagnostics;
using System.Diagnostics.Metrics;
using LdFleet.Protocol.Telemetry;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.Telemetry;
using LdFleet.Relay.Tests.LdPlayer;
using Microsoft.Extensions.DependencyInjection;

namespace LdFleet.Relay.Tests.Telemetry;

/// <summary>Every ldconsole run is a span under the command's span; executions are measured by action, outcome and host.</summary>
public sealed class LdConsoleSpanTests
{
    [Fact]
    public async Task RunAsync_UnderACommandSpan_RecordsAChildSpanWithHostActionExitCodeAndDuration()
    {
        var finished = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == FleetTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (finished) { finished.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        using var host = new LdPlayerHost(new LdPlayerHostOptions { Id = "host-7", LdConsolePath = "ldconsole" }, new ScriptedProcessRunner().Answer("quit", 3));

        using (var command = FleetTelemetry.Source.StartActivity("execute quit", ActivityKind.Consumer))
        {
            await host.RunAsync(["quit", "--index", "0"], TimeSpan.FromSeconds(5), CancellationToken.None);
        }

        var execute = Assert.Single(finished, a => a.DisplayName == "execute quit");
        var run = Assert.Single(finished, a => a.DisplayName == "ldconsole quit" && a.ParentSpanId == execute.SpanId);
        Assert.Equal("host-7", run.GetTagItem(FleetTelemetry.Tags.HostId));
        Assert.Equal("quit", run.GetTagItem(FleetTelemetry.Tags.Action));
        Assert.Equal(3, run.GetTagItem(FleetTelemetry.Tags.ExitCode));
        Assert.Equal(5.0, run.GetTagItem(FleetTelemetry.Tags.DurationMs));
    }

    [Fact]
    public void CommandExecuted_RecordsSecondsByActionOutcomeAndHost()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var recorded = new List<(double Seconds, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) => recorded.Add((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();

        new RelayMetrics(meters).CommandExecuted("launch", "Succeeded", "host-1", TimeSpan.FromMilliseconds(1500));

        var (seconds, tags) = Assert.Single(recorded);
        Assert.Equal(1.5, seconds);
        Assert.Equal(("launch", "Succeeded", "host-1"), ((string)tags[FleetTelemetry.Tags.Action]!, (string)tags[FleetTelemetry.Tags.Outcome]!, (string)tags[FleetTelemetry.Tags.HostId]!));
    }
}
