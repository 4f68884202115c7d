using System.Runtime.InteropServices;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.LdPlayer.Ssh;
using LdFleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace LdFleet.Relay.Tests.LdPlayer.Ssh;

/// <summary>The driver against the ldconsole simulator on the far side of a real SSH connection.</summary>
[Collection(SshServerCollection.Name)]
public sealed class SshDriverTests(SshServerFixture server) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly LdPlayerDriver _driver = new(TimeProvider.System);
    private SimulatedHost _sim = null!;
    private LdPlayerHost _host = null!;

    public async Task InitializeAsync()
    {
        _sim = await SimulatedHost.CreateAsync("host-1", 3, encoding: "gbk");
        _host = NewHost(server.Options());
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        _sim.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task LaunchThenQuit_OverSsh_EffectsAreVerified()
    {
        var launched = await _driver.LaunchAsync(_host, 1, Timeout, default);
        Assert.True(launched.Succeeded, $"{launched.ErrorCode}: {launched.Error} / {launched.Output}\n{server.Tail()}");
        var (emulators, error) = await _driver.ListAsync(_host, default);
        Assert.True(emulators is not null, error);
        Assert.True(emulators.Single(e => e.Index == 1).IsStarted);

        var quit = await _driver.QuitAsync(_host, 1, Timeout, default);
        Assert.True(quit.Succeeded, $"{quit.ErrorCode}: {quit.Error} / {quit.Output}");
        (emulators, error) = await _driver.ListAsync(_host, default);
        Assert.True(emulators is not null, error);
        Assert.False(emulators.Single(e => e.Index == 1).IsStarted);

        // The simulator really ran on the far side, with the arguments intact.
        Assert.Contains("\"launch\"", _sim.Journal(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_OverSsh_DecodesGbkOutput()
    {
        var (emulators, error) = await _driver.ListAsync(_host, default);

        Assert.True(emulators is not null, error);
        Assert.Equal([0, 1, 2], emulators.Select(e => e.Index));
    }

    [Fact]
    public async Task Launch_MissingIndex_OverSsh_IsPlayerNotFound()
    {
        var result = await _driver.LaunchAsync(_host, 42, Timeout, default);

        Assert.Equal(DriverErrors.PlayerNotFound, result.ErrorCode);
        Assert.Contains("player don't exist!", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Launch_InSession0_OverSsh_IsNoEffect()
    {
        // What Windows OpenSSH really does to ldconsole (reference §4.8): launch exits 0 and starts nothing.
        var (exit, output) = await _sim.RunAsync("sim:fault", "--kind", "session0");
        Assert.True(exit == 0, output);
        var driver = new LdPlayerDriver(TimeProvider.System) { VerifyTimeout = TimeSpan.FromSeconds(1) };

        var result = await driver.LaunchAsync(_host, 0, Timeout, default);

        Assert.False(result.Succeeded);
        Assert.Equal(DriverErrors.NoEffect, result.ErrorCode);
    }

    [Fact]
    public async Task Launch_WrongHostKeyFingerprint_FailsClearly()
    {
        var options = server.Options();
        options.HostKeyFingerprint = "SHA256:" + Convert.ToBase64String(new byte[32]).TrimEnd('=');
        using var host = NewHost(options);

        var result = await _driver.LaunchAsync(host, 0, Timeout, default);

        Assert.Equal(DriverErrors.HostUnreachable, result.ErrorCode);
        Assert.Contains("Host key mismatch", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("\"launch\"", _sim.Journal(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Launch_HangingLdConsole_OverSsh_TimesOut()
    {
        var (exit, output) = await _sim.RunAsync("sim:fault", "--kind", "hang", "--command", "launch");
        Assert.True(exit == 0, output);

        var result = await _driver.LaunchAsync(_host, 0, TimeSpan.FromSeconds(1), default);

        Assert.Equal(DriverErrors.Timeout, result.ErrorCode);
    }

    private LdPlayerHost NewHost(SshHostOptions ssh)
    {
        var options = new LdPlayerHostOptions
        {
            Id = "host-1",
            Kind = LdPlayerHostKind.Ssh,
            Ssh = ssh,
            LdConsolePath = RepoPaths.Simulator,
            Environment =
            {
                ["LDSIM_HOME"] = _sim.Home,

                // sshd gives sessions a fresh environment; the simulator's apphost must still find the runtime.
                ["DOTNET_ROOT"] = DotnetRoot(),
            },
            LaunchStagger = TimeSpan.Zero,
        };
        return new LdPlayerHost(options, new SshProcessRunner(options.Id, ssh, TimeProvider.System, NullLogger<SshProcessRunner>.Instance));
    }

    // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/.
    internal static string DotnetRoot() =>
        Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root
            ? root
            : Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
}
