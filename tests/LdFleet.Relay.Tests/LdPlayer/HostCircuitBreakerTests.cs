using System.ComponentModel;
using System.Text;
using LdFleet.Protocol.Commands;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using Microsoft.Extensions.Time.Testing;

namespace LdFleet.Relay.Tests.LdPlayer;

/// <summary>The per-host circuit breaker: which failures open it, how an open circuit fails, how probes close it.</summary>
public sealed class HostCircuitBreakerTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(20);
    private static readonly CircuitOptions Circuit = new() { FailureThreshold = 3, SamplingDuration = TimeSpan.FromMinutes(1), BreakDuration = TimeSpan.FromSeconds(30) };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly ProgrammableRunner _runner = new();

    [Fact]
    public async Task MissingLdConsole_OpensAfterTheThreshold_ThenCallsFailAtOnceNamingTheHostAndSince()
    {
        using var host = Host();
        _runner.Next = _ => throw new Win32Exception(2, "No such file or directory");

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<Win32Exception>(() => host.RunAsync(["list2"], Quick, default));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var refused = await Assert.ThrowsAsync<HostUnavailableException>(() => host.RunAsync(["launch", "--index", "0"], Quick, default));

        Assert.Equal(3, _runner.Calls);
        Assert.Equal("host-1", refused.HostId);
        Assert.Contains("Host 'host-1' is unreachable since 2026-12-01T08:00:02Z", refused.Message, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", refused.Message, StringComparison.Ordinal);
        var state = host.Circuit.Snapshot();
        Assert.Equal((CircuitStates.Open, 3), (state.State, state.ConsecutiveFailures));
        Assert.Equal(_time.GetUtcNow().AddSeconds(-1), state.Since);
        Assert.Equal(state.Since + Circuit.BreakDuration, state.RetryAt);
        Assert.StartsWith("ldconsole could not be started", state.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HangingLdConsole_TimeoutsCount()
    {
        using var host = Host();
        _runner.Next = _ => Result(-1, timedOut: true);

        for (var i = 0; i < 3; i++)
        {
            Assert.True((await host.RunAsync(["list2"], Quick, default)).TimedOut);
        }

        Assert.Equal(CircuitStates.Open, host.Circuit.Snapshot().State);
        Assert.Contains("list2 did not answer within 20 s", host.Circuit.Snapshot().LastError, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HostUnavailableException>(() => host.RunAsync(["list2"], Quick, default));
    }

    [Fact]
    public async Task EmulatorFailuresAndGuestTimeouts_NeverOpenIt()
    {
        using var host = Host();
        var answers = new Queue<ProcessResult>([
            Result(-1001, "player don't exist!"), Result(-5, "parameter error!"), Result(0, "error: device offline"),
            Result(-1, timedOut: true), Result(-1, timedOut: true), Result(-1, timedOut: true), Result(-1, timedOut: true)]);
        _runner.Next = _ => answers.Dequeue();

        for (var i = 0; i < 3; i++)
        {
            await host.RunAsync(["launch", "--index", "9"], Quick, default);
        }

        for (var i = 0; i < 4; i++)
        {
            // adb inside a booting emulator hanging is the emulator's business, not the host's.
            await host.RunAsync(["adb", "--index", "0", "--command", "shell getprop"], Quick, default, guest: true);
        }

        var state = host.Circuit.Snapshot();
        Assert.Equal((CircuitStates.Closed, 0, null), (state.State, state.ConsecutiveFailures, state.LastError));
    }

    [Fact]
    public async Task SuccessAmongFailures_KeepsItClosed()
    {
        using var host = Host();
        var answers = new Queue<bool>([false, false, true, false, false]);
        _runner.Next = _ => answers.Dequeue() ? Result(0, "0,LDPlayer,0,0,0,-1,-1,1280,720,240\r\n") : throw new Win32Exception(13, "Permission denied");

        for (var i = 0; i < 5; i++)
        {
            try
            {
                await host.RunAsync(["list2"], Quick, default);
            }
            catch (Win32Exception)
            {
            }
        }

        Assert.Equal((CircuitStates.Closed, 2), (host.Circuit.Snapshot().State, host.Circuit.Snapshot().ConsecutiveFailures));
    }

    [Fact]
    public async Task AfterTheBreak_APassingProbeClosesIt()
    {
        using var host = Host();
        await OpenAsync(host);
        Assert.False(host.Circuit.ProbeDue);

        _time.Advance(Circuit.BreakDuration);
        Assert.True(host.Circuit.ProbeDue);
        _runner.Next = _ => Result(0, "0,LDPlayer,0,0,0,-1,-1,1280,720,240\r\n");
        await host.RunAsync(["list2"], Quick, default);

        var state = host.Circuit.Snapshot();
        Assert.Equal((CircuitStates.Closed, 0, (DateTimeOffset?)null), (state.State, state.ConsecutiveFailures, state.RetryAt));
        Assert.Equal(_time.GetUtcNow(), state.Since);
        await host.RunAsync(["list2"], Quick, default);
    }

    [Fact]
    public async Task AfterTheBreak_AFailingProbeOpensItAgain()
    {
        using var host = Host();
        await OpenAsync(host);
        var calls = _runner.Calls;

        _time.Advance(Circuit.BreakDuration + TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<Win32Exception>(() => host.RunAsync(["list2"], Quick, default));

        Assert.Equal(calls + 1, _runner.Calls);
        var state = host.Circuit.Snapshot();
        Assert.Equal((CircuitStates.Open, 4), (state.State, state.ConsecutiveFailures));
        Assert.Equal(_time.GetUtcNow() + Circuit.BreakDuration, state.RetryAt);
        await Assert.ThrowsAsync<HostUnavailableException>(() => host.RunAsync(["list2"], Quick, default));
    }

    [Fact]
    public async Task CloseAsync_ClosesAnOpenCircuitAtOnce()
    {
        using var host = Host();
        await OpenAsync(host);

        await host.Circuit.CloseAsync(default);

        Assert.Equal((CircuitStates.Closed, 0), (host.Circuit.Snapshot().State, host.Circuit.Snapshot().ConsecutiveFailures));
        _runner.Next = _ => Result(0);
        await host.RunAsync(["quitall"], Quick, default);
    }

    [Fact]
    public async Task SshHost_ShellSayingTheProgramIsMissing_Counts()
    {
        var options = new LdPlayerHostOptions { Id = "pc-7", LdConsolePath = "/opt/ld/ldconsole", Kind = LdPlayerHostKind.Ssh, Ssh = new SshHostOptions { Shell = RemoteShell.Posix } };
        using var host = new LdPlayerHost(options, _runner, _time, Circuit);
        _runner.Next = _ => new ProcessResult(127, [], "env: '/opt/ld/ldconsole': No such file or directory\n"u8.ToArray(), TimeSpan.FromMilliseconds(3), false);

        for (var i = 0; i < 3; i++)
        {
            await host.RunAsync(["list2"], Quick, default);
        }

        Assert.Equal(CircuitStates.Open, host.Circuit.Snapshot().State);
        Assert.Contains("ldconsole was not found at '/opt/ld/ldconsole'", host.Circuit.Snapshot().LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SshHost_AddWhoseIndexIs127_IsNotAMissingProgram()
    {
        var options = new LdPlayerHostOptions { Id = "pc-7", LdConsolePath = "/opt/ld/ldconsole", Kind = LdPlayerHostKind.Ssh, Ssh = new SshHostOptions { Shell = RemoteShell.Posix } };
        using var host = new LdPlayerHost(options, _runner, _time, Circuit);
        _runner.Next = _ => Result(127);

        for (var i = 0; i < 3; i++)
        {
            await host.RunAsync(["add", "--name", "x"], Quick, default);
        }

        Assert.Equal(CircuitStates.Closed, host.Circuit.Snapshot().State);
    }

    [Fact]
    public async Task Driver_OpenCircuit_EveryKindOfCommandFailsAtOnceWithHostUnreachable()
    {
        using var host = Host();
        await OpenAsync(host);
        var calls = _runner.Calls;
        var driver = new LdPlayerDriver(_time);

        var launch = await driver.LaunchAsync(host, 0, Quick, default);

        Assert.Equal(DriverErrors.HostUnreachable, launch.ErrorCode);
        Assert.Contains("is unreachable since", launch.Error, StringComparison.Ordinal);
        Assert.Equal(calls, _runner.Calls);
    }

    private async Task OpenAsync(LdPlayerHost host)
    {
        _runner.Next = _ => throw new Win32Exception(2, "No such file or directory");
        for (var i = 0; i < Circuit.FailureThreshold; i++)
        {
            await Assert.ThrowsAsync<Win32Exception>(() => host.RunAsync(["list2"], Quick, default));
        }

        Assert.Equal(CircuitStates.Open, host.Circuit.Snapshot().State);
    }

    private LdPlayerHost Host() => new(new LdPlayerHostOptions { Id = "host-1", LdConsolePath = "/missing/ldconsole" }, _runner, _time, Circuit);

    private static ProcessResult Result(int exitCode, string stdout = "", bool timedOut = false) =>
        new(exitCode, Encoding.UTF8.GetBytes(stdout), [], TimeSpan.FromMilliseconds(5), timedOut);

    /// <summary>Answers every call with what <see cref="Next"/> returns or throws.</summary>
    private sealed class ProgrammableRunner : IProcessRunner
    {
        public Func<ProcessSpec, ProcessResult> Next { get; set; } = _ => Result(0);

        public int Calls { get; private set; }

        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(Next(spec));
        }
    }
}
