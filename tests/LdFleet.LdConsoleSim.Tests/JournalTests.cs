using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class JournalTests
{
    [Fact]
    public void Every_invocation_appends_one_line_with_argv_exit_codes_and_stdout_length()
    {
        using var home = SimHome.Init(2, "LD9");

        var list2 = home.Run("list2");
        home.Run("launch", "--index", "7");
        home.Run("list2");

        var journal = home.Journal();
        Assert.Equal(4, journal.Count);
        Assert.Equal("sim:init", journal[0]["argv"]![0]!.GetValue<string>());
        Assert.Equal(2, journal.Count(entry => entry["argv"]![0]!.GetValue<string>() == "list2"));

        var first = journal[1];
        Assert.Equal(["list2"], first["argv"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(0, first["exitCode"]!.GetValue<int>());
        Assert.Equal(list2.StdoutBytes.Length, first["stdoutLength"]!.GetValue<int>());
        Assert.Empty(first["faults"]!.AsArray());
        Assert.True(DateTimeOffset.TryParse(first["utc"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));

        var launch = journal[2];
        Assert.Equal(["launch", "--index", "7"], launch["argv"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(-1001, launch["exitCode"]!.GetValue<int>());
        Assert.Equal(-1001 & 0xFF, launch["osExitCode"]!.GetValue<int>());
        Assert.Equal("player don't exist!\r\n".Length, launch["stdoutLength"]!.GetValue<int>());
    }

    [Fact]
    public void Sim_init_resets_journal_and_state()
    {
        using var home = SimHome.Init(2, "LD9");
        home.Run("launch", "--index", "0");
        home.Advance(60_000);

        home.Run("sim:init", "--count", "1");

        Assert.Single(home.Journal());
        var state = home.State();
        Assert.Equal(0, state["clockOffsetMs"]!.GetValue<long>());
        Assert.Equal("stopped", state["instances"]![0]!["phase"]!.GetValue<string>());
        Assert.Single(state["instances"]!.AsArray());
    }
}
