using System.Globalization;
using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public void Launch_returns_at_once_and_boots_on_the_virtual_clock()
    {
        using var home = SimHome.Init(2, "LD9");

        var launch = home.Run("launch", "--index", "1");
        Assert.Equal(0, launch.ExitCode);
        Assert.Empty(launch.StdoutBytes);

        // Booting: processes and windows exist, "entered Android" is still 0.
        var booting = home.List2()[1];
        Assert.Equal(["1", "LDPlayer-1"], booting[..2]);
        Assert.True(long.Parse(booting[2], CultureInfo.InvariantCulture) > 0);
        Assert.True(long.Parse(booting[3], CultureInfo.InvariantCulture) > 0);
        Assert.Equal("0", booting[4]);
        Assert.True(int.Parse(booting[5], CultureInfo.InvariantCulture) > 0);
        Assert.True(int.Parse(booting[6], CultureInfo.InvariantCulture) > 0);
        Assert.Equal("running", home.Run("isrunning", "--index", "1").Stdout);
        Assert.Equal("error: device offline\r\n", home.Run("adb", "--index", "1", "--command", "shell getprop sys.boot_completed").Stdout);

        home.Advance(SimHome.Boot);
        var entered = home.List2()[1];
        Assert.Equal("1", entered[4]);
        Assert.Equal(booting[5..7], entered[5..7]);
        // Column 4 flips before ADB answers (reference §4.3).
        Assert.Equal("error: device offline\r\n", home.Run("adb", "--index", "1", "--command", "shell getprop sys.boot_completed").Stdout);

        home.Advance(SimHome.Adb);
        var ready = home.Run("adb", "--index", "1", "--command", "shell getprop sys.boot_completed");
        Assert.Equal(0, ready.ExitCode);
        Assert.Equal("1\r\n", ready.Stdout);
        Assert.Equal("0,LDPlayer,0,0,0,-1,-1,1280,720,240", string.Join(',', home.List2()[0]));
    }

    [Fact]
    public void Second_launch_of_a_booting_instance_changes_nothing()
    {
        using var home = SimHome.Init(1, "LD9");
        home.Run("launch", "--index", "0");
        home.Advance(SimHome.Boot - 60_000);
        var before = home.List2()[0];

        var again = home.Run("launch", "--index", "0");
        home.Advance(60_000);

        Assert.Equal(0, again.ExitCode);
        Assert.Empty(again.StdoutBytes);
        var after = home.List2()[0];
        Assert.Equal(before[2..4], after[2..4]);
        Assert.Equal(before[5..7], after[5..7]);
        Assert.Equal("1", after[4]);
    }

    [Fact]
    public void Quit_and_quitall_stop_instances()
    {
        using var home = SimHome.Init(3, "LD9");
        home.Run("launch", "--index", "0");
        home.Run("launch", "--index", "1");
        home.Run("launch", "--index", "2");

        var quit = home.Run("quit", "--index", "1");
        Assert.Equal(0, quit.ExitCode);
        Assert.Empty(quit.StdoutBytes);
        Assert.Equal("1,LDPlayer-1,0,0,0,-1,-1,1280,720,240", string.Join(',', home.List2()[1]));
        Assert.Equal("LDPlayer\r\nLDPlayer-2\r\n", home.Run("runninglist").Stdout);

        Assert.Equal(0, home.Run("quitall").ExitCode);
        Assert.Empty(home.Run("runninglist").StdoutBytes);
        Assert.All(home.List2(), row => Assert.Equal(["0", "0", "0", "-1", "-1"], row[2..7]));
    }

    [Fact]
    public void Reboot_restarts_the_boot_timeline_of_a_running_instance()
    {
        using var home = SimHome.Init(1, "LD9");
        home.Run("launch", "--index", "0");
        home.Advance(SimHome.Boot + SimHome.Adb);
        var running = home.List2()[0];
        Assert.Equal("1", running[4]);

        Assert.Equal(0, home.Run("reboot", "--index", "0").ExitCode);

        var rebooting = home.List2()[0];
        Assert.Equal("0", rebooting[4]);
        Assert.Equal(running[5], rebooting[5]);
        home.Advance(SimHome.Boot);
        Assert.Equal("1", home.List2()[0][4]);
    }

    [Theory]
    [InlineData("LD4", "running", "stop")]
    [InlineData("LD9", "running", "stop")]
    [InlineData("LD14", "running\r\n", "stop\r\n")]
    public void Isrunning_trailing_newline_depends_on_profile(string profile, string running, string stopped)
    {
        using var home = SimHome.Init(2, profile);
        home.Run("launch", "--index", "0");

        Assert.Equal(running, home.Run("isrunning", "--index", "0").Stdout);
        Assert.Equal(stopped, home.Run("isrunning", "--index", "1").Stdout);
        Assert.Equal(running, home.Run("isrunning", "--name", "LDPlayer").Stdout);
    }

    [Theory]
    [InlineData("isrunning --index abc")]
    [InlineData("isrunning --index 42")]
    [InlineData("isrunning --name nobody")]
    [InlineData("isrunning --bogus 1")]
    public void Isrunning_on_missing_or_bad_selector_says_stop_with_rc_0(string commandLine)
    {
        using var home = SimHome.Init(1, "LD9");

        var result = home.Run(commandLine.Split(' '));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("stop", result.Stdout);
    }

    [Fact]
    public void Name_addressing_picks_the_first_matching_title()
    {
        using var home = SimHome.Init(3, "LD9");
        home.Run("rename", "--index", "1", "--title", "dup");
        home.Run("rename", "--index", "2", "--title", "dup");

        home.Run("launch", "--name", "dup");

        Assert.Equal("dup\r\n", home.Run("runninglist").Stdout);
        Assert.Equal("running", home.Run("isrunning", "--index", "1").Stdout);
        Assert.Equal("stop", home.Run("isrunning", "--index", "2").Stdout);
    }

    [Fact]
    public void Launchex_starts_the_app_once_the_guest_is_ready()
    {
        using var home = SimHome.Init(1, "LD9");

        Assert.Equal(0, home.Run("launchex", "--index", "0", "--packagename", "com.android.settings").ExitCode);
        home.Advance(SimHome.Boot + SimHome.Adb);

        var pid = home.Run("adb", "--index", "0", "--command", "shell pidof com.android.settings").Stdout;
        Assert.Matches("^[0-9]+\r\n$", pid);
        Assert.Equal("com.android.settings", home.InstanceState(0)["runningApps"]![0]!.GetValue<string>());
    }

    [Fact]
    public void Unknown_options_are_ignored()
    {
        using var home = SimHome.Init(1, "LD9");

        var result = home.Run("launch", "--index", "0", "--mini", "--bogus", "x");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.StdoutBytes);
        Assert.Equal("running", home.Run("isrunning", "--index", "0").Stdout);
    }
}
