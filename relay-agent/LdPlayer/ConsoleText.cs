using System.Text;

namespace LdFleet.Relay.LdPlayer;

/// <summary>How a host's ldconsole output is decoded.</summary>
internal enum OutputEncoding
{
    /// <summary>
    /// Strict UTF-8 when the bytes are valid UTF-8, else the ANSI code page: the rule ALAS and other wrappers
    /// use (reference §3.5). Short GBK texts can happen to be valid UTF-8 and then decode wrongly; hosts known
    /// to print GBK should say <see cref="Ansi"/>.
    /// </summary>
    Auto,

    /// <summary>Always UTF-8 (invalid bytes become U+FFFD).</summary>
    Utf8,

    /// <summary>Always the host's ANSI code page (GBK on Chinese Windows).</summary>
    Ansi,
}

/// <summary>
/// Decodes ldconsole output per <see cref="OutputEncoding"/>, with CRLF (and adb's CRCRLF) normalised to LF.
/// Reference §3.5.
/// </summary>
internal static class ConsoleText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    static ConsoleText() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static string Decode(ReadOnlySpan<byte> bytes, int codePage, OutputEncoding mode = OutputEncoding.Auto)
    {
        if (bytes.IsEmpty)
        {
            return "";
        }

        var text = mode switch
        {
            OutputEncoding.Utf8 => Encoding.UTF8.GetString(bytes),
            OutputEncoding.Ansi => Encoding.GetEncoding(codePage).GetString(bytes),
            _ => DecodeAuto(bytes, codePage),
        };

        return text.Replace("\r\r\n", "\n", StringComparison.Ordinal).Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>What <paramref name="bytes"/> are: <c>ascii</c> (nothing above 0x7F), <c>utf-8</c> (valid UTF-8), or <c>cp{codePage}</c>.</summary>
    public static string Detect(ReadOnlySpan<byte> bytes, int codePage)
    {
        if (System.Text.Ascii.IsValid(bytes))
        {
            return "ascii";
        }

        return System.Text.Unicode.Utf8.IsValid(bytes) ? "utf-8" : "cp" + codePage.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string DecodeAuto(ReadOnlySpan<byte> bytes, int codePage)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.GetEncoding(codePage).GetString(bytes);
        }
    }
}
