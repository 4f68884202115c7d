using System.Text;

namespace LdFleet.Relay.LdPlayer;

/// <summary>
/// Decodes ldconsole output: strict UTF-8 when the bytes are valid UTF-8, otherwise the host's ANSI code page
/// (GBK on Chinese Windows), with CRLF (and adb's CRCRLF) normalised to LF. Reference §3.5.
/// </summary>
internal static class ConsoleText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    static ConsoleText() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static string Decode(ReadOnlySpan<byte> bytes, int codePage)
    {
        if (bytes.IsEmpty)
        {
            return "";
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            text = Encoding.GetEncoding(codePage).GetString(bytes);
        }

        return text.Replace("\r\r\n", "\n", StringComparison.Ordinal).Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
