using System.Text;

namespace LdFleet.LdConsoleSim.Output;

internal static class OutputEncodings
{
    private const int GbkCodePage = 936;

    /// <summary>
    /// UTF-8 without BOM, or GBK. The code-page provider is only registered when GBK is asked for,
    /// keeping the common path's startup lean. Characters outside GBK become <c>?</c>, as Windows'
    /// best-fit conversion does for the ANSI code page.
    /// </summary>
    public static Encoding Get(OutputEncodingKind kind)
    {
        if (kind == OutputEncodingKind.Utf8)
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        }

        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(GbkCodePage);
    }
}
