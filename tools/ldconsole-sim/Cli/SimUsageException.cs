namespace LdFleet.LdConsoleSim.Cli;

/// <summary>
/// Misuse of the simulator itself (bad sim: arguments, bad LDSIM_* values). Reported on stderr with
/// exit code 2 so it can never be mistaken for an ldconsole answer, which always goes to stdout.
/// </summary>
internal sealed class SimUsageException : Exception
{
    public SimUsageException()
    {
    }

    public SimUsageException(string message)
        : base(message)
    {
    }

    public SimUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
