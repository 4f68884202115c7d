using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Testing;

namespace LdFleet.Relay.Tests.LdPlayer;

/// <summary>The driver against the ldconsole simulator as a real child process.</summary>
public sealed class SimulatorDriverTests : IAsyncLifetime
{
    private readonly LdPlayerDriver _driver = new(TimeProvider.System);
    private SimulatedHost _sim = null!;
    private LdPlayerHost _host = null!;

    public async Task InitializeAsync()
    {
        _sim = await SimulatedHost.CreateAsync("host-1", 3, encoding: "gbk");
        var options = new LdPlayerHostOptions { Id = "host-1", LdConsolePath = RepoPaths.Simulator, Environment = { ["LDSIM_HOME"] = _sim.Home } };
        _host = new LdPlayerHost(options, new ProcessRunner(TimeProvider.System));
    }

    public Task DisposeAsync()
    {
        _sim.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task LaunchThenQuit_EffectsAreVerified()
    {
        var launched = await _driver.LaunchAsync(_host, 1, TimeSpan.FromSeconds(30), default);
        Assert.True(launched.Succeeded, $"{launched.ErrorCode}: {launched.Error} / {launched.Output}");
        var (emulators, _) = await _driver.ListAsync(_host, default);
        Assert.True(emulators!.Single(e => e.Index == 1).IsStarted);

        var quit = await _driver.QuitAsync(_host, 1, TimeSpan.FromSeconds(30), default);
        Assert.True(quit.Succeeded, $"{quit.ErrorCode}: {quit.Error} / {quit.Output}");
        (emulators, _) = await _driver.ListAsync(_host, default);
        Assert.False(emulators!.Single(e => e.Index == 1).IsStarted);
    }

    [Fact]
    public async Task Launch_MissingIndex_IsPlayerNotFound()
    {
        var result = await _driver.LaunchAsync(_host, 42, TimeSpan.FromSeconds(30), default);

        Assert.Equal(DriverErrors.PlayerNotFound, result.ErrorCode);
        Assert.Contains("player don't exist!", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_GbkOutput_IsDecoded()
    {
        var (emulators, error) = await _driver.ListAsync(_host, default);

        Assert.Null(error);
        Assert.Equal([0, 1, 2], emulators!.Select(e => e.Index));
        Assert.All(emulators!, e => Assert.False(e.IsStarted));
    }
}
