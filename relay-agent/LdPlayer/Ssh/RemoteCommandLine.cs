using System.Text;
using LdFleet.Relay.Hosting;

namespace LdFleet.Relay.LdPlayer.Ssh;

/// <summary>
/// Turns an argument list into the one command string an SSH server hands to the remote login shell.
/// </summary>
/// <remarks>
/// SSH has no argument vector: the server runs <c>shell -c "string"</c> (POSIX, PowerShell) or
/// <c>cmd.exe /c "string"</c> (Windows OpenSSH's default), so every argument has to survive that shell's
/// parsing and, on Windows, the program's own command-line parsing after it. Anything that cannot be made
/// to survive for the selected shell is refused with <see cref="ArgumentException"/> rather than sent
/// half-quoted. Environment variables travel inside the command string because servers usually refuse
/// the SSH "env" request (OpenSSH's AcceptEnv is empty by default).
/// </remarks>
internal static class RemoteCommandLine
{
    // PowerShell treats the typographic single quotes as quote characters too, so each of them has to be
    // doubled inside a single-quoted string just like the ASCII one.
    private const string PowerShellSingleQuotes = "'\u2018\u2019\u201A\u201B";

    // Characters that cmd.exe interprets outside a quoted region; each is escaped with a caret there.
    private const string CmdMetacharacters = "&|<>^()";

    public static string Build(RemoteShell shell, string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        if (fileName.Length == 0)
        {
            throw new ArgumentException("The program to run is empty.", nameof(fileName));
        }

        if (fileName[0] == '-')
        {
            // It would be read as an option by env(1), and nothing legitimate starts with a dash.
            throw new ArgumentException($"The program name '{fileName}' starts with '-'.", nameof(fileName));
        }

        foreach (var key in environment.Keys)
        {
            if (!IsVariableName(key))
            {
                throw new ArgumentException($"'{key}' is not a portable environment variable name (letters, digits and '_', not starting with a digit).", nameof(environment));
            }
        }

        return shell switch
        {
            RemoteShell.Posix => BuildPosix(fileName, arguments, environment),
            RemoteShell.Cmd => BuildCmd(fileName, arguments, environment),
            RemoteShell.PowerShell => BuildPowerShell(fileName, arguments, environment),
            _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "Unknown remote shell."),
        };
    }

    /// <summary>One word for a POSIX shell: inside single quotes nothing is special except the quote itself.</summary>
    public static string QuotePosix(string value)
    {
        RejectControlCharacters(value, "a POSIX shell");
        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>
    /// One argument as the Microsoft C runtime (and CommandLineToArgvW) splits a command line: always in
    /// double quotes; a run of backslashes is doubled when a quote follows it (an embedded quote, or the
    /// closing one) and the embedded quote itself becomes <c>\"</c>. Backslashes elsewhere are literal.
    /// </summary>
    public static string QuoteWindowsArgument(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 2).Append('"');
        var backslashes = 0;
        foreach (var c in value)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }

            if (c == '"')
            {
                builder.Append('\\', (backslashes * 2) + 1).Append('"');
            }
            else
            {
                builder.Append('\\', backslashes).Append(c);
            }

            backslashes = 0;
        }

        return builder.Append('\\', backslashes * 2).Append('"').ToString();
    }

    /// <summary>One PowerShell single-quoted string: no expansion at all, quote characters doubled.</summary>
    /// <remarks>
    /// Double quotes are refused: the whole command reaches powershell.exe through a Windows command line
    /// (Windows OpenSSH re-quotes it with the C runtime's rules), a hop that cannot be tested here.
    /// </remarks>
    public static string QuotePowerShell(string value)
    {
        RejectControlCharacters(value, "PowerShell");
        if (value.Contains('"', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{value}' contains '\"', which is not passed intact through powershell.exe's command line and on to native programs.", nameof(value));
        }

        var builder = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            if (PowerShellSingleQuotes.Contains(c, StringComparison.Ordinal))
            {
                builder.Append(c);
            }

            builder.Append(c);
        }

        return builder.Append('\'').ToString();
    }

    private static string BuildPosix(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        // exec: the program replaces the shell, so a signal sent on cancellation reaches it instead of the shell.
        var builder = new StringBuilder("exec ");
        if (environment.Count > 0)
        {
            if (fileName.Contains('=', StringComparison.Ordinal))
            {
                throw new ArgumentException($"The program name '{fileName}' contains '=', which env(1) would take for a variable.", nameof(fileName));
            }

            builder.Append("env ");
            foreach (var (key, value) in environment)
            {
                builder.Append(QuotePosix(key + "=" + value)).Append(' ');
            }
        }

        builder.Append(QuotePosix(fileName));
        foreach (var argument in arguments)
        {
            builder.Append(' ').Append(QuotePosix(argument));
        }

        return builder.ToString();
    }

    private static string BuildCmd(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in environment)
        {
            // Inside set "K=V" cmd takes everything up to the last quote literally, except % and !, which
            // RejectForCmd refuses; a quote in the value would end the quoted region early, so it is refused too.
            RejectForCmd(value, $"the value of {key}");
            if (value.Contains('"', StringComparison.Ordinal))
            {
                throw new ArgumentException($"The value of {key} contains '\"', which cannot be passed through cmd.exe's set command.", nameof(environment));
            }

            builder.Append("set \"").Append(key).Append('=').Append(value).Append("\" && ");
        }

        // The program name is parsed by cmd.exe itself to find the executable: it must be in plain quotes,
        // and Windows file names cannot contain a quote anyway.
        RejectForCmd(fileName, "the program name");
        if (fileName.Contains('"', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The program name '{fileName}' contains '\"'.", nameof(fileName));
        }

        var line = new StringBuilder().Append('"').Append(fileName).Append('"');
        foreach (var argument in arguments)
        {
            RejectForCmd(argument, "an argument");
            line.Append(' ').Append(QuoteWindowsArgument(argument));
        }

        return builder.Append(EscapeCmdMetacharacters(line.ToString())).ToString();
    }

    /// <summary>
    /// cmd.exe toggles its "quoted" state at every double quote, including the <c>\"</c> of an embedded quote
    /// (it knows nothing of the C runtime's rules), and interprets &amp; | &lt; &gt; ^ ( ) wherever it believes it
    /// is outside quotes. Following that same toggle, each such character outside is escaped with a caret,
    /// which cmd.exe removes before starting the program; inside, a caret would stay, so none is added.
    /// </summary>
    private static string EscapeCmdMetacharacters(string line)
    {
        var builder = new StringBuilder(line.Length + 8);
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && CmdMetacharacters.Contains(c, StringComparison.Ordinal))
            {
                builder.Append('^');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    private static string BuildPowerShell(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in environment)
        {
            builder.Append("$env:").Append(key).Append('=').Append(QuotePowerShell(value)).Append("; ");
        }

        // PowerShell -Command exits 0 or 1 from $? rather than with the program's code, so the code is passed
        // on explicitly; -1 first, so a program that could not be started does not look like success.
        builder.Append("$LASTEXITCODE = -1; & ").Append(QuotePowerShell(fileName));
        foreach (var argument in arguments)
        {
            RejectForPowerShellNativeArgument(argument);
            builder.Append(' ').Append(QuotePowerShell(argument));
        }

        return builder.Append("; exit $LASTEXITCODE").ToString();
    }

    /// <summary>
    /// PowerShell re-quotes arguments for a native program itself, and Windows PowerShell 5.1 (the default
    /// on Windows) does that badly: empty strings vanish, embedded double quotes are not escaped (refused by
    /// <see cref="QuotePowerShell"/>), and a trailing backslash in an argument it wraps in quotes escapes the
    /// closing quote. Those cases are refused.
    /// </summary>
    private static void RejectForPowerShellNativeArgument(string argument)
    {
        if (argument.Length == 0)
        {
            throw new ArgumentException("PowerShell drops empty arguments when it starts a native program.", nameof(argument));
        }

        if (argument[^1] == '\\' && argument.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"The argument '{argument}' has whitespace and ends with '\\', which Windows PowerShell does not pass intact to a native program.", nameof(argument));
        }
    }

    private static void RejectForCmd(string value, string what)
    {
        RejectControlCharacters(value, "cmd.exe");

        // % expands variables even inside quotes on cmd.exe's command line, with no reliable escape there;
        // ! does the same when delayed expansion is enabled in the registry.
        if (value.AsSpan().IndexOfAny('%', '!') is var at and >= 0)
        {
            throw new ArgumentException($"{char.ToUpperInvariant(what[0])}{what[1..]} '{value}' contains '{value[at]}', which cmd.exe would expand and cannot be quoted.", what);
        }
    }

    private static void RejectControlCharacters(string value, string shell)
    {
        ArgumentNullException.ThrowIfNull(value);

        // A line break ends the command for every shell here, and no ldconsole argument legitimately carries
        // control characters; refusing them all keeps the three quoting schemes equally strict.
        if (value.Any(char.IsControl))
        {
            throw new ArgumentException($"'{value.ReplaceLineEndings(" ")}' contains a control character, which cannot be passed safely through {shell}.", nameof(value));
        }
    }

    private static bool IsVariableName(string name) =>
        name.Length > 0
        && !char.IsAsciiDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
