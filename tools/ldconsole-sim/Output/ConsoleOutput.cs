using System.Text;

namespace LdFleet.LdConsoleSim.Output;

/// <summary>
/// Buffers what a command prints. Nothing reaches stdout until the state lock is released, so a
/// reader that is slow to drain the pipe never blocks other simulator processes.
/// </summary>
internal sealed class ConsoleOutput
{
    /// <summary>ldconsole writes CRLF line ends, including after the last line (§3.1, §3.5).</summary>
    public const string NewLine = "\r\n";

    private readonly StringBuilder _text = new();

    public bool IsEmpty => _text.Length == 0;

    public void Write(string text) => _text.Append(text);

    public void WriteLine(string line) => _text.Append(line).Append(NewLine);

    public byte[] Encode(Encoding encoding) => encoding.GetBytes(_text.ToString());
}
