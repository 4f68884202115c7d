namespace LdFleet.LdConsoleSim.Cli;

/// <summary>
/// ldconsole's exit codes are signed 32-bit values on Windows (reference §2.2). A Linux process can
/// only report the low 8 bits, so the simulator exits with <c>code &amp; 0xFF</c> (−1001 → 23,
/// −1000 → 24, −617 → 151, −616 → 152, −5 → 251, add/copy index 256 → 0). The journal keeps the
/// intended 32-bit value.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int UnknownCommand = -1000;
    public const int PlayerNotExist = -1001;
    public const int RemoveMissing = -617;
    public const int CopyMissing = -616;
    public const int ParameterError = -5;

    /// <summary>Simulator misuse (stderr message), not an ldconsole code.</summary>
    public const int SimUsage = 2;

    /// <summary>The state lock could not be taken in time (stderr message), not an ldconsole code.</summary>
    public const int LockTimeout = 75;

    /// <summary>Abnormal termination injected by the <c>crash</c> fault (like SIGABRT, 128 + 6).</summary>
    public const int Crash = 134;

    /// <summary>Unexpected simulator failure (stderr message).</summary>
    public const int InternalError = 70;

    public static int ToOs(int code) => code & 0xFF;
}
