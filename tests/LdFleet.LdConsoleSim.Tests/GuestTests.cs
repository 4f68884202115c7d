using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class GuestTests
{
    private static SimHome ReadyHome(string profile = "LD9", int count = 1)
    {
        var home = SimHome.Init(count, profile);
        home.Run("launch", "--index", "0");
        home.Advance(SimHome.Boot + SimHome.Adb);
        return home;
    }

    [Fact]
    public void Installapp_from_an_apk_records_the_file_name_as_package()
    {
        using var home = ReadyHome();
        var apk = Path.Combine(home.Root, "com.example.game.apk");
        File.WriteAllBytes(apk, [0x50, 0x4B]);

        var install = home.Run("installapp", "--index", "0", "--filename", apk);

        Assert.Equal(0, install.ExitCode);
        Assert.Empty(install.StdoutBytes);
        Assert.Equal("package:com.example.game\r\n", home.Run("adb", "--index", "0", "--command", "shell pm list packages -3").Stdout);
        Assert.Contains("package:com.android.settings\r\npackage:", home.Run("adb", "--index", "0", "--command", "shell pm list packages").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Installapp_honours_a_package_sidecar_and_the_packagename_form()
    {
        using var home = ReadyHome();
        var apk = Path.Combine(home.Root, "game-release.apk");
        File.WriteAllBytes(apk, [0x50, 0x4B]);
        File.WriteAllText(apk + ".package", "com.example.real\n");

        home.Run("installapp", "--index", "0", "--filename", apk);
        home.Run("installapp", "--index", "0", "--packagename", "com.store.app");

        Assert.Equal(
            "package:com.example.real\r\npackage:com.store.app\r\n",
            home.Run("adb", "--index", "0", "--command", "shell pm list packages -3").Stdout);
    }

    [Fact]
    public void Installapp_with_a_missing_apk_is_a_parameter_error()
    {
        using var home = ReadyHome();

        var result = home.Run("installapp", "--index", "0", "--filename", Path.Combine(home.Root, "nope.apk"));

        Assert.Equal("parameter error!\r\n", result.Stdout);
        Assert.Equal(SimResult.Os(-5), result.ExitCode);
    }

    [Fact]
    public void Guest_commands_on_a_stopped_instance_print_an_error_with_rc_0()
    {
        using var home = SimHome.Init(2, "LD9");

        var getprop = home.Run("getprop", "--index", "1", "--key", "sys.boot_completed");
        var adb = home.Run("adb", "--index", "1", "--command", "shell echo hi");
        var runapp = home.Run("runapp", "--index", "1", "--packagename", "com.android.settings");

        Assert.All([getprop, adb, runapp], result =>
        {
            Assert.Equal(0, result.ExitCode);
            Assert.Equal("error: device 'emulator-5556' not found\r\n", result.Stdout);
        });
    }

    [Fact]
    public void Runapp_and_killapp_change_what_pidof_reports()
    {
        using var home = ReadyHome();

        Assert.Equal(0, home.Run("runapp", "--index", "0", "--packagename", "com.android.settings").ExitCode);
        Assert.Matches("^[0-9]+\r\n$", home.Run("adb", "--index", "0", "--command", "shell pidof com.android.settings").Stdout);

        Assert.Equal(0, home.Run("killapp", "--index", "0", "--packagename", "com.android.settings").ExitCode);
        Assert.Empty(home.Run("adb", "--index", "0", "--command", "shell pidof com.android.settings").StdoutBytes);

        // Not installed: silently nothing, rc 0 (reference §2.2: rc 0 proves nothing).
        var missing = home.Run("runapp", "--index", "0", "--packagename", "com.not.installed");
        Assert.Equal(0, missing.ExitCode);
        Assert.Empty(missing.StdoutBytes);
        Assert.Empty(home.InstanceState(0)["runningApps"]!.AsArray());
    }

    [Fact]
    public void Uninstallapp_removes_the_package()
    {
        using var home = ReadyHome();
        home.Run("installapp", "--index", "0", "--packagename", "com.store.app");

        home.Run("uninstallapp", "--index", "0", "--packagename", "com.store.app");

        Assert.Empty(home.Run("adb", "--index", "0", "--command", "shell pm list packages -3").StdoutBytes);
    }

    [Fact]
    public void Adb_echo_and_unknown_commands()
    {
        using var home = ReadyHome();

        Assert.Equal("hello world\r\n", home.Run("adb", "--index", "0", "--command", "shell echo \"hello world\"").Stdout);
        var other = home.Run("adb", "--index", "0", "--command", "shell input tap 10 10");
        Assert.Equal(0, other.ExitCode);
        Assert.Empty(other.StdoutBytes);
        Assert.Empty(home.Run("adb", "--index", "0", "--command", "pull /sdcard/x.png .").StdoutBytes);
    }

    [Fact]
    public void Ld4_adb_shell_output_ends_with_cr_cr_lf()
    {
        using var home = ReadyHome("LD4");

        Assert.Equal("connected\r\r\n", home.Run("adb", "--index", "0", "--command", "shell echo connected").Stdout);
    }

    [Fact]
    public void Setprop_then_getprop_round_trips_and_survives_a_restart()
    {
        using var home = ReadyHome();

        Assert.Equal(0, home.Run("setprop", "--index", "0", "--key", "persist.sim.flag", "--value", "on").ExitCode);
        Assert.Equal("on\r\n", home.Run("getprop", "--index", "0", "--key", "persist.sim.flag").Stdout);
        Assert.Equal("9\r\n", home.Run("getprop", "--index", "0", "--key", "ro.build.version.release").Stdout);
        Assert.Contains("[sys.boot_completed]: [1]\r\n", home.Run("getprop", "--index", "0").Stdout, StringComparison.Ordinal);

        home.Run("quit", "--index", "0");
        home.Run("launch", "--index", "0");
        home.Advance(SimHome.Boot + SimHome.Adb);
        Assert.Equal("on\r\n", home.Run("adb", "--index", "0", "--command", "shell getprop persist.sim.flag").Stdout);
    }

    [Fact]
    public void Locate_downcpu_and_action_are_recorded()
    {
        using var home = ReadyHome();

        Assert.Equal(0, home.Run("locate", "--index", "0", "--LLI", "116.397469,39.908821").ExitCode);
        Assert.Equal(0, home.Run("downcpu", "--index", "0", "--rate", "50").ExitCode);
        Assert.Equal(0, home.Run("action", "--index", "0", "--key", "call.network", "--value", "offline").ExitCode);
        var badRate = home.Run("downcpu", "--index", "0", "--rate", "101");

        var state = home.InstanceState(0);
        Assert.Equal("116.397469,39.908821", state["location"]!.GetValue<string>());
        Assert.Equal(50, state["cpuRate"]!.GetValue<int>());
        Assert.Equal("offline", state["network"]!.GetValue<string>());
        Assert.Equal("parameter error!\r\n", badRate.Stdout);
    }

    [Fact]
    public void Action_call_reboot_restarts_android()
    {
        using var home = ReadyHome();

        Assert.Equal(0, home.Run("action", "--index", "0", "--key", "call.reboot", "--value", "null").ExitCode);

        Assert.Equal("0", home.List2()[0][4]);
        Assert.Equal("error: device offline\r\n", home.Run("adb", "--index", "0", "--command", "shell echo x").Stdout);
    }
}
