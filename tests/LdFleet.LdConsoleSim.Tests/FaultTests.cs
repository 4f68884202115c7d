using System.Diagnostics;
using System.Text;
using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task Hang_never_exits_until_killed_and_then_clears_after_its_count()
    {
        using var home = SimHome.Init(1, "LD9");
        Assert.Equal(0, home.Run("sim:fault", "--kind", "hang", "--command", "list2", "--count", "1").ExitCode);

        using var process = home.Start(["list2"]);
        try
        {
            // The hung call journals itself before blocking: poll for it instead of sleeping blindly.
            var journaled = await PollAsync(() => home.Journal().Any(e => e["faults"]!.AsArray().Any(f => f!.GetValue<string>() == "hang")));
            Assert.True(journaled, "the hung call never reached the journal");
            Assert.False(process.WaitForExit(300), "a hang must not exit on its own");
            Assert.Null(home.Journal()[^1]["exitCode"]);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        // The lock was released before hanging, and the single-shot fault is used up.
        Assert.Equal("0,LDPlayer,0,0,0,-1,-1,1280,720,240\r\n", home.Run("list2").Stdout);
    }

    [Fact]
    public void Crash_emits_partial_output_a_stderr_message_and_commits_nothing()
    {
        using var home = SimHome.Init(4, "LD9");
        var full = home.Run("list2").StdoutBytes;
        home.Run("sim:fault", "--kind", "crash");

        var list2 = home.Run("list2");
        var launch = home.Run("launch", "--index", "0");

        Assert.Equal(134, list2.ExitCode);
        Assert.Contains("Unhandled exception", list2.Stderr, StringComparison.Ordinal);
        Assert.True(list2.StdoutBytes.Length > 0 && list2.StdoutBytes.Length < full.Length);
        Assert.Equal(full[..list2.StdoutBytes.Length], list2.StdoutBytes);
        Assert.Equal(134, launch.ExitCode);

        home.Run("sim:fault", "--clear");
        Assert.Equal("stop", home.Run("isrunning", "--index", "0").Stdout);
    }

    [Fact]
    public void Garbage_prints_random_bytes_with_rc_0_and_does_not_run_the_command()
    {
        using var home = SimHome.Init(1, "LD9");
        home.Run("sim:fault", "--kind", "garbage", "--command", "launch", "--count", "1");

        var result = home.Run("launch", "--index", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.NotEmpty(result.StdoutBytes);
        Assert.Throws<DecoderFallbackException>(() => new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(result.StdoutBytes));
        Assert.Equal("stop", home.Run("isrunning", "--index", "0").Stdout);
        Assert.Equal(["garbage"], home.Journal()[^2]["faults"]!.AsArray().Select(f => f!.GetValue<string>()));
    }

    [Fact]
    public void Slow_boot_multiplies_the_boot_delay_by_ten()
    {
        using var home = SimHome.Init(2, "LD9", adbDelayMs: 0);
        home.Run("sim:fault", "--kind", "slow-boot", "--count", "1");

        home.Run("launch", "--index", "0");
        home.Run("launch", "--index", "1");
        home.Advance(SimHome.Boot);

        var rows = home.List2();
        Assert.Equal("0", rows[0][4]);
        Assert.Equal("1", rows[1][4]);
        home.Advance(9 * SimHome.Boot);
        Assert.Equal("1", home.List2()[0][4]);
    }

    [Fact]
    public void Session0_makes_launch_and_quit_no_ops_and_list2_report_everything_stopped()
    {
        using var home = SimHome.Init(2, "LD9", bootDelayMs: 0, adbDelayMs: 0);
        home.Run("launch", "--index", "1");
        home.Run("sim:fault", "--kind", "session0");

        var launch = home.Run("launch", "--index", "0");
        var quit = home.Run("quit", "--index", "1");
        var list2 = home.List2();
        var isRunning = home.Run("isrunning", "--index", "1").Stdout;
        var runningList = home.Run("runninglist").StdoutBytes;

        Assert.Equal(0, launch.ExitCode);
        Assert.Equal(0, quit.ExitCode);
        Assert.All(list2, row => Assert.Equal(["0", "0", "0", "-1", "-1"], row[2..7]));
        Assert.Equal("stop", isRunning);
        Assert.Empty(runningList);
        // ADB still answers for the instance that really runs (reference §4.8).
        Assert.Equal("1\r\n", home.Run("adb", "--index", "1", "--command", "shell getprop sys.boot_completed").Stdout);

        home.Run("sim:fault", "--clear");
        Assert.Equal("stop", home.Run("isrunning", "--index", "0").Stdout);
        Assert.Equal("running", home.Run("isrunning", "--index", "1").Stdout);
    }

    [Fact]
    public void Empty_list2_fires_count_times_then_clears_itself()
    {
        using var home = SimHome.Init(2, "LD9");
        home.Run("sim:fault", "--kind", "empty-list2", "--count", "2");

        var first = home.Run("list2");
        var list = home.Run("list");
        var second = home.Run("list2");
        var third = home.Run("list2");

        Assert.Equal(0, first.ExitCode);
        Assert.Empty(first.StdoutBytes);
        Assert.Equal("LDPlayer\r\nLDPlayer-1\r\n", list.Stdout);
        Assert.Empty(second.StdoutBytes);
        Assert.Equal(2, third.Stdout.Split("\r\n").Length - 1);
        Assert.Empty(home.State()["faults"]!.AsArray());
    }

    [Fact]
    public void Environment_fault_applies_to_the_named_command_only()
    {
        using var home = SimHome.Init(1, "LD9");
        var env = new Dictionary<string, string> { ["LDSIM_FAULT"] = "garbage:list" };

        var list = home.RunWithEnv(env, "list");
        var list2 = home.RunWithEnv(env, "list2");

        Assert.NotEqual("LDPlayer\r\n", list.Stdout);
        Assert.Equal("0,LDPlayer,0,0,0,-1,-1,1280,720,240\r\n", list2.Stdout);
    }

    [Fact]
    public void Simulator_commands_are_never_hit_by_faults()
    {
        using var home = SimHome.Init(1, "LD9");
        home.Run("sim:fault", "--kind", "crash");

        Assert.Equal(0, home.Run("sim:advance", "--ms", "10").ExitCode);
        Assert.Equal("crash", home.State()["faults"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal(0, home.Run("sim:fault", "--clear").ExitCode);
        Assert.Equal(0, home.Run("list2").ExitCode);
    }

    private static async Task<bool> PollAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return false;
    }
}
