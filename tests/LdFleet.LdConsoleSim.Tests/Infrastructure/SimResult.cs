using System.Text;

namespace LdFleet.LdConsoleSim.Tests.Infrastructure;

/// <summary>One finished simulator process. <see cref="ExitCode"/> is what Linux reports (low 8 bits).</summary>
internal sealed record SimResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    /// <summary>The 8-bit value a signed ldconsole exit code shows up as on Linux.</summary>
    public static int Os(int ldconsoleCode) => ldconsoleCode & 0xFF;
}
