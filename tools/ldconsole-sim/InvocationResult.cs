using LdFleet.LdConsoleSim.Cli;

namespace LdFleet.LdConsoleSim;

/// <summary>The outcome of one call, produced under the state lock and emitted after releasing it.</summary>
internal sealed record InvocationResult(int? ExitCode, byte[] Stdout, string? Stderr, IReadOnlyList<string> Faults, bool Hang = false)
{
    public static InvocationResult Ok(byte[] stdout) => new(0, stdout, null, []);

    public static InvocationResult SimError(string message) => new(ExitCodes.SimUsage, [], "ldconsole-sim: " + message, []);
}
