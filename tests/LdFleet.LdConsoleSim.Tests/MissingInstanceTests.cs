using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

/// <summary>Reference §2.2: what each command does when its instance does not exist, per profile.</summary>
public sealed class MissingInstanceTests : IClassFixture<SharedHomes>
{
    private const string NotExist = "player don't exist!";

    private readonly SharedHomes _homes;

    public MissingInstanceTests(SharedHomes homes)
    {
        _homes = homes;
    }

    [Theory]
    [InlineData("LD4", "launch --index 9", NotExist, -1001)]
    [InlineData("LD9", "launch --index 9", NotExist + "\r\n", -1001)]
    [InlineData("LD9", "launch --name ghost", NotExist + "\r\n", -1001)]
    [InlineData("LD9", "quit --index 9", NotExist + "\r\n", -1001)]
    [InlineData("LD14", "quit --index 9", NotExist + "\r\n", -1001)]
    [InlineData("LD9", "reboot --index 9", NotExist + "\r\n", -1001)]
    [InlineData("LD14", "rename --index 9 --title x", NotExist + "\r\n", -1001)]
    [InlineData("LD9", "remove --index 9", NotExist + "\r\n", -617)]
    [InlineData("LD4", "remove --index 9", NotExist, -617)]
    [InlineData("LD9", "runapp --index 9 --packagename a.b", NotExist + "\r\n", 0)]
    [InlineData("LD14", "runapp --index 9 --packagename a.b", NotExist + "\r\n", 0)]
    [InlineData("LD14", "copy --from 99", NotExist + "\r\n", 0)]
    [InlineData("LD9", "modify --index 9 --cpu 2", "", 0)]
    [InlineData("LD14", "modify --index 9 --cpu 9", "", 0)]
    [InlineData("LD9", "getprop --index 9 --key ro.serialno", NotExist + "\r\n", 0)]
    public void Prints_and_exits_as_the_real_tool(string profile, string commandLine, string stdout, int exitCode)
    {
        var home = _homes.For(profile);

        var result = home.Run(commandLine.Split(' '));

        Assert.Equal(stdout, result.Stdout);
        Assert.Equal(SimResult.Os(exitCode), result.ExitCode);
        Assert.Equal(exitCode, home.Journal()[^1]["exitCode"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("LD14", "launch --index 9", "ldplayer v14.0.29.0 Command Line Management Interface", -1001)]
    [InlineData("LD9", "copy --from 99", "dnplayer Command Line Management Interface", -616)]
    [InlineData("LD4", "copy --from ghost", "dnplayer Command Line Management Interface", -616)]
    public void Dumps_the_usage_text_where_the_real_tool_does(string profile, string commandLine, string firstLine, int exitCode)
    {
        var home = _homes.For(profile);

        var result = home.Run(commandLine.Split(' '));

        Assert.StartsWith(firstLine + "\r\n", result.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("\r\n", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(SimResult.Os(exitCode), result.ExitCode);
        Assert.Equal(exitCode, home.Journal()[^1]["exitCode"]!.GetValue<int>());
    }

    [Fact]
    public void Failed_copy_and_modify_change_nothing()
    {
        using var home = SimHome.Init(1, "LD14");
        var before = home.Run("list2").Stdout;

        home.Run("copy", "--from", "7");
        home.Run("modify", "--index", "7", "--cpu", "2");

        Assert.Equal(before, home.Run("list2").Stdout);
        Assert.False(home.ConfigExists(7));
    }
}
