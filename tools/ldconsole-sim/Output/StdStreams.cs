using System.Text;

namespace LdFleet.LdConsoleSim.Output;

/// <summary>
/// Raw byte access to stdout/stderr: <see cref="Console.Out"/> would re-encode with the process
/// default, and the simulator must control every byte (GBK vs UTF-8, CRLF, garbage).
/// </summary>
internal static class StdStreams
{
    public static void WriteStdout(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        using var stdout = Console.OpenStandardOutput();
        stdout.Write(bytes);
        stdout.Flush();
    }

    public static void WriteStderr(string message)
    {
        using var stderr = Console.OpenStandardError();
        stderr.Write(Encoding.UTF8.GetBytes(message + "\n"));
        stderr.Flush();
    }
}
