using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.LdPlayer.Catalog;
using LdFleet.Testing;

namespace LdFleet.Relay.Tests.LdPlayer;

/// <summary>
/// Every catalog command through the real driver against the simulator as a child process, for each
/// LDPlayer generation's output formats and exit codes.
/// </summary>
public sealed class DriverCatalogSimulatorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly LdPlayerDriver _driver = new(TimeProvider.System) { VerifyTimeout = TimeSpan.FromSeconds(5) };

    [Theory]
    [InlineData("LD4", "utf8")]
    [InlineData("LD9", "gbk")]
    [InlineData("LD14", "gbk")]
    public async Task EveryCommand_BehavesAndIsVerified(string profile, string encoding)
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 2, profile, encoding);
        using var host = Host(sim);
        var zero = EmulatorSelector.ByIndex(0);

        // Creation: the new index comes from list2, whatever the (truncated) exit code says.
        var added = await Run(host, LdConsoleCommands.Add("雷电模拟器-测试"));
        Assert.Equal("2", added.Data["index"]);
        Assert.Equal("雷电模拟器-测试", added.Data["title"]);
        var copied = await Run(host, LdConsoleCommands.Copy(zero, "clone, with comma"));
        Assert.Equal("3", copied.Data["index"]);
        var (list, error) = await _driver.ListAsync(host, default);
        Assert.Null(error);
        Assert.Equal(["LDPlayer", "LDPlayer-1", "雷电模拟器-测试", "clone, with comma"], list!.Select(e => e.Title));
        Assert.All(list!, e => Assert.Equal(profile == "LD4" ? null : 1280, e.Width));

        await Run(host, LdConsoleCommands.Rename(EmulatorSelector.ByIndex(3), "renamed"));
        await Run(host, LdConsoleCommands.Modify(EmulatorSelector.ByIndex(3), new ModifySettings
        {
            Resolution = new Resolution(720, 1280, 320),
            Cpu = 2,
            Memory = 2048,
            Manufacturer = "asus",
            Model = "ASUS_Z00DUO",
            Imei = "auto",
            Mac = "00db48fd6270",
            Root = true,
        }));
        (list, _) = await _driver.ListAsync(host, default);
        var modified = list!.Single(e => e.Index == 3);
        Assert.Equal("renamed", modified.Title);
        if (profile != "LD4")
        {
            Assert.Equal((720, 1280, 320), (modified.Width!.Value, modified.Height!.Value, modified.Dpi!.Value));
        }

        // Lifecycle and readiness.
        await Run(host, LdConsoleCommands.Launch(zero));
        Assert.True((await _driver.WaitUntilBootedAsync(host, zero, Timeout, default)).Succeeded);
        await Run(host, LdConsoleCommands.Reboot(zero));
        Assert.True((await _driver.WaitUntilBootedAsync(host, zero, Timeout, default)).Succeeded);

        // Guest commands.
        Assert.Equal("1", (await Run(host, LdConsoleCommands.Adb(zero, "shell getprop sys.boot_completed"))).Output.Trim());
        await Run(host, LdConsoleCommands.SetProp(zero, "persist.ldfleet.tag", "qa-7"));
        Assert.Equal("qa-7", (await Run(host, LdConsoleCommands.GetProp(zero, "persist.ldfleet.tag"))).Output.Trim());

        // Apps: install from a host APK, run, kill, uninstall, and see it in the package list between.
        var apk = Path.Combine(sim.Home, "com.example.shop.apk");
        await File.WriteAllBytesAsync(apk, [0x50, 0x4B, 0x03, 0x04]);
        await Run(host, LdConsoleCommands.InstallApp(zero, apk));
        Assert.Contains("package:com.example.shop", (await Run(host, LdConsoleCommands.Adb(zero, "shell pm list packages"))).Output, StringComparison.Ordinal);
        await Run(host, LdConsoleCommands.RunApp(zero, "com.example.shop"));
        await Run(host, LdConsoleCommands.KillApp(zero, "com.example.shop"));
        await Run(host, LdConsoleCommands.UninstallApp(zero, "com.example.shop"));
        Assert.DoesNotContain("package:com.example.shop", (await Run(host, LdConsoleCommands.Adb(zero, "shell pm list packages"))).Output, StringComparison.Ordinal);

        // Device and global settings.
        await Run(host, LdConsoleCommands.Locate(zero, 121.4737, 31.2304));
        await Run(host, LdConsoleCommands.DownCpu(zero, 50));
        await Run(host, LdConsoleCommands.Action(zero, "call.shake", "null"));
        await Run(host, LdConsoleCommands.GlobalSetting(fps: 30, audio: false));
        await Run(host, LdConsoleCommands.SortWindows());

        // Backup and restore round trip.
        var backup = Path.Combine(sim.Home, "one.ldbk");
        await Run(host, LdConsoleCommands.Quit(zero));
        await Run(host, LdConsoleCommands.Backup(EmulatorSelector.ByIndex(1), backup));
        Assert.True(File.Exists(backup));
        await Run(host, LdConsoleCommands.Restore(EmulatorSelector.ByIndex(1), backup));

        // Stopping, and removal leaving a hole.
        await Run(host, LdConsoleCommands.Launch(EmulatorSelector.ByIndex(1)));
        await Run(host, LdConsoleCommands.QuitAll());
        (list, _) = await _driver.ListAsync(host, default);
        Assert.All(list!, e => Assert.False(e.IsStarted));
        await Run(host, LdConsoleCommands.Remove(EmulatorSelector.ByIndex(2)));
        (list, _) = await _driver.ListAsync(host, default);
        Assert.Equal([0, 1, 3], list!.Select(e => e.Index));
        Assert.Equal("", (await Run(host, LdConsoleCommands.RunningList())).Output.Trim());
    }

    [Theory]
    [InlineData("LD4")]
    [InlineData("LD9")]
    [InlineData("LD14")]
    public async Task MissingEmulator_IsPlayerNotFound_ForEveryKindOfCommand(string profile)
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1, profile);
        using var host = Host(sim);
        var missing = EmulatorSelector.ByIndex(7);

        foreach (var command in new[]
        {
            LdConsoleCommands.Launch(missing),
            LdConsoleCommands.Quit(missing),
            LdConsoleCommands.Reboot(missing),
            LdConsoleCommands.Remove(missing),
            LdConsoleCommands.Rename(missing, "x"),
            LdConsoleCommands.Modify(missing, new ModifySettings { Cpu = 2 }),
            LdConsoleCommands.RunApp(missing, "com.example.shop"),
        })
        {
            var result = await _driver.ExecuteAsync(host, command, Timeout, default);
            Assert.False(result.Succeeded, $"{profile} {command} succeeded");
            Assert.True(result.ErrorCode == DriverErrors.PlayerNotFound, $"{profile} {command}: {result.ErrorCode} {result.Error} / {result.Output}");
        }

        var copy = await _driver.ExecuteAsync(host, LdConsoleCommands.Copy(missing, "clone"), Timeout, default);
        Assert.Equal(DriverErrors.PlayerNotFound, copy.ErrorCode);
        Assert.Single((await _driver.ListAsync(host, default)).Emulators!);
    }

    [Fact]
    public async Task GuestCommand_OnStoppedEmulator_IsNotRunning()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1);
        using var host = Host(sim);

        var result = await _driver.ExecuteAsync(host, LdConsoleCommands.GetProp(EmulatorSelector.ByIndex(0), "sys.boot_completed"), Timeout, default);

        Assert.Equal(DriverErrors.NotRunning, result.ErrorCode);
    }

    [Fact]
    public async Task ByName_AddressesTheTitledEmulator()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 2, encoding: "gbk");
        using var host = Host(sim);
        await Run(host, LdConsoleCommands.Rename(EmulatorSelector.ByIndex(1), "万龙1号"));

        await Run(host, LdConsoleCommands.Launch(EmulatorSelector.ByName("万龙1号")));

        var (list, _) = await _driver.ListAsync(host, default);
        Assert.True(list!.Single(e => e.Index == 1).IsStarted);
    }

    [Fact]
    public async Task Hang_IsKilledAtTheTimeout()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1);
        using var host = Host(sim);
        await sim.FaultAsync("hang", "launch");

        var result = await _driver.ExecuteAsync(host, LdConsoleCommands.Launch(EmulatorSelector.ByIndex(0)), TimeSpan.FromSeconds(1), default);

        Assert.Equal(DriverErrors.Timeout, result.ErrorCode);
    }

    [Fact]
    public async Task Crash_IsUnexpectedOutputAndChangesNothing()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1);
        using var host = Host(sim);
        await sim.FaultAsync("crash", "launch");

        var result = await _driver.ExecuteAsync(host, LdConsoleCommands.Launch(EmulatorSelector.ByIndex(0)), Timeout, default);

        Assert.Equal(DriverErrors.UnexpectedOutput, result.ErrorCode);
        Assert.False((await _driver.ListAsync(host, default)).Emulators!.Single().IsStarted);
    }

    [Fact]
    public async Task Garbage_List2_IsAClearParseError()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1);
        using var host = Host(sim);
        await sim.FaultAsync("garbage", "list2");

        var result = await _driver.ExecuteAsync(host, LdConsoleCommands.List2(), Timeout, default);

        Assert.False(result.Succeeded);
        Assert.Contains(result.ErrorCode, new[] { DriverErrors.ListUnreadable, DriverErrors.UnexpectedOutput });
    }

    [Fact]
    public async Task Session0_LaunchIsSilentButReportedAsNoEffect()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1);
        using var host = Host(sim);
        await sim.FaultAsync("session0");
        var driver = new LdPlayerDriver(TimeProvider.System) { VerifyTimeout = TimeSpan.FromMilliseconds(500) };

        var result = await driver.ExecuteAsync(host, LdConsoleCommands.Launch(EmulatorSelector.ByIndex(0)), Timeout, default);

        Assert.Equal(DriverErrors.NoEffect, result.ErrorCode);
        Assert.Contains("interactive desktop session", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmptyList2Glitch_IsRetriedAndVerificationStillSucceeds()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1);
        using var host = Host(sim);
        await sim.FaultAsync("empty-list2", count: 1);

        var result = await _driver.ExecuteAsync(host, LdConsoleCommands.Launch(EmulatorSelector.ByIndex(0)), Timeout, default);

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.Error}");
        Assert.True(sim.JournalCount("list2") >= 2);
    }

    [Fact]
    public async Task SlowBoot_WaitUntilBootedTimesOut()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1, bootDelayMs: 3_000);
        using var host = Host(sim);
        await sim.FaultAsync("slow-boot");
        await Run(host, LdConsoleCommands.Launch(EmulatorSelector.ByIndex(0)));

        var result = await _driver.WaitUntilBootedAsync(host, EmulatorSelector.ByIndex(0), TimeSpan.FromSeconds(2), default);

        Assert.Equal(DriverErrors.BootTimeout, result.ErrorCode);
    }

    [Fact]
    public async Task Launches_OnOneHost_AreStaggered()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 3);
        using var host = Host(sim, TimeSpan.FromMilliseconds(400));
        var started = DateTime.UtcNow;

        await Task.WhenAll(Enumerable.Range(0, 3).Select(i => Run(host, LdConsoleCommands.Launch(EmulatorSelector.ByIndex(i)))));

        // Three boots need at least two stagger gaps between their starts.
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(800));
        Assert.All((await _driver.ListAsync(host, default)).Emulators!, e => Assert.True(e.IsStarted));
    }

    private static LdPlayerHost Host(SimulatedHost sim, TimeSpan? stagger = null) =>
        new(new LdPlayerHostOptions
        {
            Id = sim.Id,
            LdConsolePath = RepoPaths.Simulator,
            LaunchStagger = stagger ?? TimeSpan.Zero,
            Environment = { ["LDSIM_HOME"] = sim.Home },
        }, new ProcessRunner(TimeProvider.System));

    private async Task<DriverResult> Run(LdPlayerHost host, LdConsoleCommand command)
    {
        var result = await _driver.ExecuteAsync(host, command, Timeout, default);
        Assert.True(result.Succeeded, $"{command}: {result.ErrorCode} {result.Error} / output: {result.Output}");
        return result;
    }
}
