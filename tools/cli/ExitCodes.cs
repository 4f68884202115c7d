namespace LdFleet.Cli;

/// <summary>
/// The exit-code contract scripts rely on. Never renumber: add new codes at the end.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A bug or an unexpected failure in the CLI itself.</summary>
    public const int Internal = 1;

    /// <summary>Bad arguments or configuration (the command never reached the API).</summary>
    public const int Usage = 2;

    /// <summary>Not logged in, token expired or rejected (401), or the role is missing (403).</summary>
    public const int Auth = 3;

    /// <summary>The API refused the request (400, 404, 409, 413, 415, 422, 429...): its problem details are printed.</summary>
    public const int ApiError = 4;

    /// <summary>The API could not be reached, or answered with a server error (5xx).</summary>
    public const int Network = 5;

    /// <summary>The watched operation or batch failed.</summary>
    public const int Failed = 6;

    /// <summary>The watched operation timed out.</summary>
    public const int TimedOut = 7;

    /// <summary>The watched operation or batch was cancelled.</summary>
    public const int Cancelled = 8;

    /// <summary>watch --timeout elapsed before the operation or batch finished (it keeps running).</summary>
    public const int WatchTimeout = 9;

    /// <summary>Interrupted with Ctrl+C.</summary>
    public const int Interrupted = 130;

    public const string HelpText = """
        Exit codes: 0 success, 1 internal error, 2 usage or configuration error, 3 authentication/authorization,
        4 API refused the request (problem details printed), 5 API unreachable or server error, 6 watched
        operation/batch failed, 7 operation timed out, 8 cancelled, 9 watch --timeout elapsed, 130 interrupted.
        """;
}

/// <summary>A failure to report to the user as a message and an exit code, without a stack trace.</summary>
internal sealed class CliException : Exception
{
    public CliException(int exitCode, string message, IReadOnlyList<string>? details = null)
        : base(message)
    {
        ExitCode = exitCode;
        Details = details ?? [];
    }

    public CliException()
        : this(ExitCodes.Internal, "Unexpected error.")
    {
    }

    public CliException(string message)
        : this(ExitCodes.Internal, message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Internal;
        Details = [];
    }

    public int ExitCode { get; }

    /// <summary>Extra lines shown under the message (e.g. one per invalid field).</summary>
    public IReadOnlyList<string> Details { get; }
}
