using System.ComponentModel;
using LdFleet.Protocol.Commands;
using LdFleet.Relay.Execution;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using D = LdFleet.Protocol.Commands.ConnectionTestData;

namespace LdFleet.Relay.Tests.LdPlayer;

/// <summary>The testconnection action against the simulator: a healthy host, a missing ldconsole, a hanging one.</summary>
public sealed class ConnectionTestTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);
    private readonly ConnectionTest _test = new(TimeProvider.System);

    [Fact]
    public async Task HealthyHost_EveryStagePasses_WithVersionCountsAndTimes()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 3, profile: "LD14");
        await sim.RunAsync("launch", "--index", "2");
        using var host = Host(sim);

        var result = await _test.RunAsync(host, Budget, default);

        Assert.True(result.Succeeded, result.Error);
        var data = result.Data;
        Assert.Equal("reach,ldconsole,list2", data[D.Stages]);
        Assert.False(data.ContainsKey(D.FailedStage));
        Assert.All([D.Reach, D.LdConsole, D.List2], stage =>
        {
            Assert.Equal("true", data[D.Key(stage, "ok")]);
            Assert.True(long.Parse(data[D.Key(stage, "ms")], System.Globalization.CultureInfo.InvariantCulture) >= 0);
        });
        Assert.Equal("local", data[D.Key(D.Reach, "detail")]);
        Assert.Equal("14.0.29.0", data[D.Key(D.LdConsole, "version")]);
        Assert.Equal("ldplayer v14.0.29.0 Command Line Management Interface", data[D.Key(D.LdConsole, "banner")]);
        Assert.Equal("Auto, code page 936", data[D.Key(D.LdConsole, "encoding")]);
        Assert.Equal(RepoPaths.Simulator, data[D.Key(D.LdConsole, "path")]);
        Assert.Equal(("3", "1", "10", "ascii"), (data[D.Key(D.List2, "emulators")], data[D.Key(D.List2, "running")], data[D.Key(D.List2, "columns")], data[D.Key(D.List2, "encoding")]));
        Assert.Equal((CircuitStates.Closed, CircuitStates.Closed), (data[D.CircuitBefore], data[D.CircuitAfter]));
        Assert.Contains("list2 ok", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("utf8", "utf-8")]
    [InlineData("gbk", "cp936")]
    public async Task ChineseTitles_TheEncodingOfList2IsReported(string encoding, string expected)
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1, encoding: encoding);
        await sim.RunAsync("rename", "--index", "0", "--title", "雷电模拟器");
        using var host = Host(sim);

        var result = await _test.RunAsync(host, Budget, default);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(expected, result.Data[D.Key(D.List2, "encoding")]);
    }

    [Fact]
    public async Task MissingLdConsole_FailsAtTheLdConsoleStage()
    {
        using var host = new LdPlayerHost(new LdPlayerHostOptions { Id = "host-1", LdConsolePath = "/nonexistent/LDPlayer/ldconsole" }, new ProcessRunner(TimeProvider.System));

        var result = await _test.RunAsync(host, Budget, default);

        Assert.False(result.Succeeded);
        Assert.Equal(DriverErrors.LdConsoleNotRunnable, result.ErrorCode);
        Assert.Contains("'/nonexistent/LDPlayer/ldconsole'", result.Error, StringComparison.Ordinal);
        Assert.Equal("reach,ldconsole", result.Data[D.Stages]);
        Assert.Equal((D.LdConsole, "true", "false"), (result.Data[D.FailedStage], result.Data[D.Key(D.Reach, "ok")], result.Data[D.Key(D.LdConsole, "ok")]));
        Assert.False(result.Data.ContainsKey(D.Key(D.List2, "ok")));
    }

    [Fact]
    public async Task HangingLdConsole_TimesOutWithinItsShare()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1);
        await sim.FaultAsync("hang");
        using var host = Host(sim);

        var result = await _test.RunAsync(host, TimeSpan.FromSeconds(3), default);

        Assert.False(result.Succeeded);
        Assert.Equal(DriverErrors.Timeout, result.ErrorCode);
        Assert.Equal(D.LdConsole, result.Data[D.FailedStage]);
        Assert.InRange(long.Parse(result.Data[D.Key(D.LdConsole, "ms")], System.Globalization.CultureInfo.InvariantCulture), 1000, 15_000);
        Assert.Contains("hangs", result.Data[D.Key(D.LdConsole, "error")], StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenCircuit_TheTestStillRuns_AndItsSuccessClosesTheCircuit()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 2);
        var link = Path.Combine(sim.Home, "bin", "ldconsole");
        using var host = new LdPlayerHost(
            new LdPlayerHostOptions { Id = "host-1", LdConsolePath = link, Environment = { ["LDSIM_HOME"] = sim.Home } },
            new ProcessRunner(TimeProvider.System),
            TimeProvider.System,
            new CircuitOptions { FailureThreshold = 2, BreakDuration = TimeSpan.FromMinutes(10) });
        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<Win32Exception>(() => host.RunAsync(["list2"], TimeSpan.FromSeconds(10), default));
        }

        Assert.Equal(CircuitStates.Open, host.Circuit.Snapshot().State);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, RepoPaths.Simulator);

        var result = await _test.RunAsync(host, Budget, default);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal((CircuitStates.Open, CircuitStates.Closed), (result.Data[D.CircuitBefore], result.Data[D.CircuitAfter]));
        Assert.Equal(CircuitStates.Closed, host.Circuit.Snapshot().State);
        Assert.Equal(2, (await host.RunAsync(["list2"], TimeSpan.FromSeconds(10), default)).Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task AsACommand_HostWideWithoutIndex_AnswersWithTheStagesInData()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 2);
        var hosts = new LdPlayerHostRegistry([Host(sim)]);
        var executor = new CommandExecutor(hosts, new LdPlayerDriver(TimeProvider.System), _test, TimeProvider.System, Options.Create(new RelayOptions { SiteId = "lab" }), NullLogger<CommandExecutor>.Instance);

        var result = await executor.ExecuteAsync(new EmulatorCommand
        {
            CommandId = "op.1.1",
            OperationId = "op",
            SiteId = "lab",
            HostId = "host-1",
            Action = EmulatorActions.TestConnection,
            IssuedAt = DateTimeOffset.UtcNow,
            DeliverBy = DateTimeOffset.UtcNow.AddMinutes(1),
        }, default);

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Equal("2", result.Data[D.Key(D.List2, "emulators")]);
        Assert.Null(result.ErrorCode);
        hosts.Dispose();
    }

    private static LdPlayerHost Host(SimulatedHost sim) => new(
        new LdPlayerHostOptions { Id = sim.Id, LdConsolePath = RepoPaths.Simulator, Environment = { ["LDSIM_HOME"] = sim.Home } },
        new ProcessRunner(TimeProvider.System));
}
