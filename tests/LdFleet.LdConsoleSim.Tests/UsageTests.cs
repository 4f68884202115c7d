using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class UsageTests
{
    [Theory]
    [InlineData("LD4", "dnplayer Command Line Management Interface")]
    [InlineData("LD9", "dnplayer Command Line Management Interface")]
    [InlineData("LD14", "ldplayer v14.0.29.0 Command Line Management Interface")]
    public void No_arguments_prints_the_banner(string profile, string firstLine)
    {
        using var home = SimHome.Init(0, profile);

        var result = home.Run();

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith(firstLine + "\r\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\r\nUsage:", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_command_prints_usage_and_exits_minus_1000()
    {
        using var home = SimHome.Init(1, "LD14");

        var result = home.Run("frobnicate", "--index", "0");

        Assert.StartsWith("ldplayer v14.0.29.0 Command Line Management Interface\r\n", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(SimResult.Os(-1000), result.ExitCode);
        Assert.Equal(24, result.ExitCode);
        Assert.Equal(-1000, home.Journal()[^1]["exitCode"]!.GetValue<int>());
    }

    [Fact]
    public void Simulator_misuse_goes_to_stderr_with_exit_2()
    {
        using var home = SimHome.Init(1, "LD9");

        var unknown = home.Run("sim:nope");
        var badProfile = home.Run("sim:init", "--profile", "LD5");
        var badEnv = home.RunWithEnv(new Dictionary<string, string> { ["LDSIM_ENCODING"] = "latin1" }, "list2");

        Assert.All([unknown, badProfile, badEnv], result =>
        {
            Assert.Equal(2, result.ExitCode);
            Assert.Empty(result.StdoutBytes);
            Assert.StartsWith("ldconsole-sim: ", result.Stderr, StringComparison.Ordinal);
        });
        Assert.Equal("0,LDPlayer,0,0,0,-1,-1,1280,720,240\r\n", home.Run("list2").Stdout);
    }
}
