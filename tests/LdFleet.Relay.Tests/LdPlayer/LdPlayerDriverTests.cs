using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;

namespace LdFleet.Relay.Tests.LdPlayer;

public sealed class LdPlayerDriverTests
{
    private const string Stopped = "0,LDPlayer,0,0,0,-1,-1,1280,720,240\r\n1,LDPlayer-1,0,0,0,-1,-1,1280,720,240\r\n";
    private const string OneStarted = "0,LDPlayer,0,0,0,-1,-1,1280,720,240\r\n1,LDPlayer-1,1052,1053,0,4242,4343,1280,720,240\r\n";

    private readonly ScriptedProcessRunner _runner = new();
    private readonly LdPlayerDriver _driver = new(TimeProvider.System) { VerifyTimeout = TimeSpan.Zero };

    private LdPlayerHost Host => new(new LdPlayerHostOptions { Id = "host-1", LdConsolePath = "ldconsole" }, _runner);

    [Fact]
    public async Task Launch_SilentExitAndListShowsProcesses_Succeeds()
    {
        _runner.Answer("launch", 0).Answer("list2", 0, OneStarted);

        var result = await _driver.LaunchAsync(Host, 1, TimeSpan.FromSeconds(5), default);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(["launch", "--index", "1"], _runner.Calls[0]);
    }

    [Fact]
    public async Task Launch_PlayerDoesNotExist_FailsWithoutCheckingList()
    {
        _runner.Answer("launch", 23, "player don't exist!");

        var result = await _driver.LaunchAsync(Host, 9, TimeSpan.FromSeconds(5), default);

        Assert.False(result.Succeeded);
        Assert.Equal(DriverErrors.PlayerNotFound, result.ErrorCode);
        Assert.Equal("player don't exist!", result.Output);
        Assert.Single(_runner.Calls);
    }

    [Fact]
    public async Task Launch_UsageBanner_IsPlayerNotFound()
    {
        _runner.Answer("launch", -1001, "ldplayer v14.0.29.0 Command Line Management Interface\r\nUsage: ...\r\n");

        var result = await _driver.LaunchAsync(Host, 9, TimeSpan.FromSeconds(5), default);

        Assert.Equal(DriverErrors.PlayerNotFound, result.ErrorCode);
    }

    [Fact]
    public async Task Launch_SilentButNothingStarts_IsReportedAsNoEffect()
    {
        // Session 0: launch exits 0, prints nothing and does nothing (reference §4.8).
        _runner.Answer("launch", 0).Answer("list2", 0, Stopped);

        var result = await _driver.LaunchAsync(Host, 1, TimeSpan.FromSeconds(5), default);

        Assert.False(result.Succeeded);
        Assert.Equal(DriverErrors.NoEffect, result.ErrorCode);
    }

    [Fact]
    public async Task Launch_SilentButIndexMissingFromList_IsPlayerNotFound()
    {
        _runner.Answer("launch", 0).Answer("list2", 0, Stopped);

        var result = await _driver.LaunchAsync(Host, 7, TimeSpan.FromSeconds(5), default);

        Assert.Equal(DriverErrors.PlayerNotFound, result.ErrorCode);
    }

    [Fact]
    public async Task Launch_TimedOut_IsTimeout()
    {
        _runner.Answer("launch", -1, timedOut: true);

        var result = await _driver.LaunchAsync(Host, 1, TimeSpan.FromSeconds(5), default);

        Assert.Equal(DriverErrors.Timeout, result.ErrorCode);
    }

    [Fact]
    public async Task Quit_ListShowsStopped_Succeeds()
    {
        _runner.Answer("quit", 0).Answer("list2", 0, Stopped);

        var result = await _driver.QuitAsync(Host, 1, TimeSpan.FromSeconds(5), default);

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task Quit_EmptyList2ThenStopped_RetriesListUntilItAnswers()
    {
        // list2 occasionally prints nothing although instances exist (reference §2.2): that is not "missing".
        var driver = new LdPlayerDriver(TimeProvider.System) { VerifyTimeout = TimeSpan.FromSeconds(10) };
        _runner.Answer("quit", 0).Answer("list2", 0, "").Answer("list2", 0, Stopped);

        var result = await driver.QuitAsync(Host, 1, TimeSpan.FromSeconds(5), default);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(3, _runner.Calls.Count);
    }
}
