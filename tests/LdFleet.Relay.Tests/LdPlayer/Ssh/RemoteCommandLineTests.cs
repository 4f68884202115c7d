using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer.Ssh;

namespace LdFleet.Relay.Tests.LdPlayer.Ssh;

/// <summary>Quoting for the shells that cannot be run here (cmd.exe, PowerShell) is checked against exact strings and a parser.</summary>
public sealed class RemoteCommandLineTests
{
    private const string LdConsole = @"C:\Program Files\LDPlayer\LDPlayer9\ldconsole.exe";
    private static readonly Dictionary<string, string> NoEnvironment = [];

    public static TheoryData<string[]> WindowsArguments => new()
    {
        { ["launch", "--index", "1"] },
        { ["rename", "--index", "0", "--title", "My \"best\" & co"] },
        { ["a\"b&c", "x\"y\"z|w", "\"", "\"\"", "\"&\"&\""] },
        { ["", " ", "two words", "multiple   spaces"] },
        { [@"C:\dir\", @"C:\dir with space\", @"a\\b", @"\\server\share", @"back\""slash", @"\\\"] },
        { ["^", "^^", "&", "|", "<", ">", "(", ")", "a&&b||c", "<nul>", "$HOME", "`id`", "'single'"] },
        { ["雷电模拟器", "‘curly’", "“double curly”", "emoji 🎮"] },
    };

    [Fact]
    public void Build_Cmd_QuotesEveryArgument()
    {
        var line = RemoteCommandLine.Build(RemoteShell.Cmd, LdConsole, ["launch", "--index", "1"], NoEnvironment);

        Assert.Equal("\"C:\\Program Files\\LDPlayer\\LDPlayer9\\ldconsole.exe\" \"launch\" \"--index\" \"1\"", line);
    }

    [Fact]
    public void Build_Cmd_EscapesMetacharactersOnlyWhereCmdSeesThemUnquoted()
    {
        // cmd.exe toggles its quote state at the \" of the embedded quote, so the & after it is outside for cmd,
        // and after one odd embedded quote cmd stays out of step with the C runtime for the rest of the line.
        var line = RemoteCommandLine.Build(RemoteShell.Cmd, "ld.exe", ["a\"b&c", "x & y", "a\"b", "x & y"], NoEnvironment);

        Assert.Equal("\"ld.exe\" \"a\\\"b^&c\" \"x ^& y\" \"a\\\"b\" \"x & y\"", line);
    }

    [Fact]
    public void Build_Cmd_EnvironmentIsSetBeforeTheProgram()
    {
        var line = RemoteCommandLine.Build(RemoteShell.Cmd, "ld.exe", ["list2"], new Dictionary<string, string> { ["LDSIM_HOME"] = @"C:\sim data & co" });

        Assert.Equal("set \"LDSIM_HOME=C:\\sim data & co\" && \"ld.exe\" \"list2\"", line);
    }

    [Theory]
    [MemberData(nameof(WindowsArguments))]
    public void Build_Cmd_ParsesBackToTheSameArguments(string[] arguments)
    {
        var line = RemoteCommandLine.Build(RemoteShell.Cmd, LdConsole, arguments, NoEnvironment);

        var argv = WindowsCommandLine.Split(WindowsCommandLine.ApplyCmd(line));

        Assert.Equal([LdConsole, .. arguments], argv);
    }

    [Theory]
    [InlineData(@"a\b", "\"a\\b\"")]
    [InlineData(@"a\", "\"a\\\\\"")]
    [InlineData("a\"b", "\"a\\\"b\"")]
    [InlineData("a\\\"b", "\"a\\\\\\\"b\"")]
    [InlineData("", "\"\"")]
    public void QuoteWindowsArgument_FollowsTheCRuntimeRules(string argument, string expected) =>
        Assert.Equal(expected, RemoteCommandLine.QuoteWindowsArgument(argument));

    [Theory]
    [InlineData("%PATH%")]
    [InlineData("100%")]
    [InlineData("hello!")]
    [InlineData("two\nlines")]
    [InlineData("carriage\rreturn")]
    public void Build_Cmd_UnquotableArgument_IsRefused(string argument) =>
        Assert.Throws<ArgumentException>(() => RemoteCommandLine.Build(RemoteShell.Cmd, "ld.exe", [argument], NoEnvironment));

    [Theory]
    [InlineData("a\"b")]
    [InlineData("%TEMP%")]
    public void Build_Cmd_UnquotableEnvironmentValue_IsRefused(string value) =>
        Assert.Throws<ArgumentException>(() => RemoteCommandLine.Build(RemoteShell.Cmd, "ld.exe", [], new Dictionary<string, string> { ["K"] = value }));

    [Fact]
    public void Build_PowerShell_UsesTheCallOperatorWithSingleQuotes()
    {
        var line = RemoteCommandLine.Build(
            RemoteShell.PowerShell,
            LdConsole,
            ["rename", "--index", "0", "--title", "it's $x `y` & ‘z’"],
            new Dictionary<string, string> { ["LDSIM_HOME"] = @"C:\it's" });

        Assert.Equal(
            "$env:LDSIM_HOME='C:\\it''s'; $LASTEXITCODE = -1; & 'C:\\Program Files\\LDPlayer\\LDPlayer9\\ldconsole.exe' " +
            "'rename' '--index' '0' '--title' 'it''s $x `y` & ‘‘z’’'; exit $LASTEXITCODE",
            line);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\"b")]
    [InlineData(@"dir with space\")]
    [InlineData("two\nlines")]
    public void Build_PowerShell_UnpassableArgument_IsRefused(string argument) =>
        Assert.Throws<ArgumentException>(() => RemoteCommandLine.Build(RemoteShell.PowerShell, "ld.exe", [argument], NoEnvironment));

    [Fact]
    public void Build_Posix_SingleQuotesEverythingAndExecsThroughEnv()
    {
        var line = RemoteCommandLine.Build(RemoteShell.Posix, "/opt/ld console", ["a b", "it's", "$HOME"], new Dictionary<string, string> { ["LDSIM_HOME"] = "/tmp/x y" });

        Assert.Equal("exec env 'LDSIM_HOME=/tmp/x y' '/opt/ld console' 'a b' 'it'\\''s' '$HOME'", line);
    }

    [Fact]
    public void Build_Posix_WithoutEnvironment_ExecsTheProgram() =>
        Assert.Equal("exec '/opt/ldconsole' 'list2'", RemoteCommandLine.Build(RemoteShell.Posix, "/opt/ldconsole", ["list2"], NoEnvironment));

    [Theory]
    [InlineData("")]
    [InlineData("1ST")]
    [InlineData("A-B")]
    [InlineData("A=B")]
    [InlineData("A B")]
    [InlineData("A;B")]
    public void Build_BadEnvironmentName_IsRefusedByEveryShell(string name)
    {
        foreach (var shell in Enum.GetValues<RemoteShell>())
        {
            Assert.Throws<ArgumentException>(() => RemoteCommandLine.Build(shell, "ld", [], new Dictionary<string, string> { [name] = "v" }));
        }
    }

    [Fact]
    public void Build_ProgramStartingWithDash_IsRefusedByEveryShell()
    {
        foreach (var shell in Enum.GetValues<RemoteShell>())
        {
            Assert.Throws<ArgumentException>(() => RemoteCommandLine.Build(shell, "-rf", [], NoEnvironment));
        }
    }

    [Fact]
    public void Build_Posix_NulOrNewline_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => RemoteCommandLine.Build(RemoteShell.Posix, "/bin/echo", ["a\0b"], NoEnvironment));
        Assert.Throws<ArgumentException>(() => RemoteCommandLine.Build(RemoteShell.Posix, "/bin/echo", ["a\nb"], NoEnvironment));
    }
}
