using System.Text;

namespace LdFleet.Relay.Tests.LdPlayer.Ssh;

/// <summary>
/// What Windows does to a command line that cannot be run here: cmd.exe's caret and quote handling, then the
/// Microsoft C runtime's argv splitting (the rules documented under "Parsing C++ command-line arguments",
/// which CommandLineToArgvW shares for everything our quoting produces).
/// </summary>
internal static class WindowsCommandLine
{
    private const string CmdMetacharacters = "&|<>()";

    /// <summary>
    /// cmd.exe's pass over a command before it starts the program: outside double quotes a caret makes the next
    /// character literal and is removed; an unescaped metacharacter there would be a redirection or a second
    /// command (an error here). Inside quotes everything stays as it is. % and ! must not appear at all.
    /// </summary>
    public static string ApplyCmd(string line)
    {
        Assert.DoesNotContain("%", line, StringComparison.Ordinal);
        Assert.DoesNotContain("!", line, StringComparison.Ordinal);
        var result = new StringBuilder(line.Length);
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '^')
            {
                Assert.True(i + 1 < line.Length, $"A caret ends the line: {line}");
                c = line[++i];
            }
            else if (!quoted && CmdMetacharacters.Contains(c, StringComparison.Ordinal))
            {
                Assert.Fail($"cmd.exe would interpret '{c}' at {i} in: {line}");
            }

            result.Append(c);
        }

        return result.ToString();
    }

    /// <summary>Splits a command line into argv the way the Microsoft C runtime does.</summary>
    public static IReadOnlyList<string> Split(string line)
    {
        var argv = new List<string>();
        var i = 0;

        // The program name: up to the next blank, or between quotes; backslashes are not escapes here.
        var program = new StringBuilder();
        if (line.Length > 0 && line[0] == '"')
        {
            i = 1;
            while (i < line.Length && line[i] != '"')
            {
                program.Append(line[i++]);
            }

            i++;
        }
        else
        {
            while (i < line.Length && line[i] is not (' ' or '\t'))
            {
                program.Append(line[i++]);
            }
        }

        argv.Add(program.ToString());

        while (true)
        {
            while (i < line.Length && line[i] is ' ' or '\t')
            {
                i++;
            }

            if (i >= line.Length)
            {
                return argv;
            }

            var argument = new StringBuilder();
            var quoted = false;
            while (i < line.Length && (quoted || line[i] is not (' ' or '\t')))
            {
                var backslashes = 0;
                while (i < line.Length && line[i] == '\\')
                {
                    backslashes++;
                    i++;
                }

                if (i < line.Length && line[i] == '"')
                {
                    // 2n backslashes + quote: n backslashes and a delimiter; 2n+1: n backslashes and a literal quote.
                    argument.Append('\\', backslashes / 2);
                    if (backslashes % 2 == 1)
                    {
                        argument.Append('"');
                    }
                    else if (quoted && i + 1 < line.Length && line[i + 1] == '"')
                    {
                        // Inside quotes, "" is a literal quote.
                        argument.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = !quoted;
                    }

                    i++;
                }
                else
                {
                    argument.Append('\\', backslashes);
                    if (i < line.Length && (quoted || line[i] is not (' ' or '\t')))
                    {
                        argument.Append(line[i++]);
                    }
                }
            }

            argv.Add(argument.ToString());
        }
    }
}
