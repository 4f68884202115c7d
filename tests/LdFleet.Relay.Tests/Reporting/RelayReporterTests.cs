using System.ComponentModel;
using LdFleet.Protocol.Commands;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.Reporting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LdFleet.Relay.Tests.Reporting;

/// <summary>What a heartbeat tells the cloud: the relay's uptime and each host's circuit.</summary>
public sealed class RelayReporterTests
{
    [Fact]
    public async Task Heartbeat_CarriesUptimeAndTheCircuitOfEveryHost()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        var failing = new FailingRunner();
        using var healthy = new LdPlayerHost(new LdPlayerHostOptions { Id = "host-1", LdConsolePath = "ldconsole" }, failing, time);
        using var sick = new LdPlayerHost(new LdPlayerHostOptions { Id = "host-2", LdConsolePath = "/gone/ldconsole" }, failing, time, new CircuitOptions { FailureThreshold = 2 });
        var reporter = new RelayReporter(
            null!, new LdPlayerHostRegistry([healthy, sick]), new LdPlayerDriver(time), new RelayActivity(), time,
            Options.Create(new ReportingOptions()), Options.Create(new RelayOptions { SiteId = "lab" }), NullLogger<RelayReporter>.Instance);

        time.Advance(TimeSpan.FromMinutes(90));
        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<Win32Exception>(() => sick.RunAsync(["list2"], TimeSpan.FromSeconds(5), default));
        }

        var heartbeat = reporter.Heartbeat();

        Assert.Equal(TimeSpan.FromMinutes(90), heartbeat.Uptime);
        Assert.Equal(time.GetUtcNow().AddMinutes(-90), heartbeat.StartedAt);
        Assert.Equal(["host-1", "host-2"], heartbeat.Circuits!.Select(c => c.HostId));
        Assert.Equal((CircuitStates.Closed, 0), (heartbeat.Circuits![0].State, heartbeat.Circuits[0].ConsecutiveFailures));
        var open = heartbeat.Circuits[1];
        Assert.Equal((CircuitStates.Open, 2, time.GetUtcNow()), (open.State, open.ConsecutiveFailures, open.Since));
        Assert.Contains("could not be started", open.LastError, StringComparison.Ordinal);
    }

    private sealed class FailingRunner : IProcessRunner
    {
        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken) =>
            spec.FileName.StartsWith("/gone", StringComparison.Ordinal)
                ? throw new Win32Exception(2, "No such file or directory")
                : Task.FromResult(new ProcessResult(0, [], [], TimeSpan.Zero, false));
    }
}
