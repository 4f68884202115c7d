using System.Runtime.CompilerServices;
using System.Text;

namespace LdFleet.LdConsoleSim.Output;

internal static class OutputEncodings
{
    private const int GbkCodePage = 936;

    /// <summary>
    /// UTF-8 without BOM, or GBK. Characters outside GBK become <c>?</c>, as Windows' conversion to
    /// the ANSI code page does.
    /// </summary>
    public static Encoding Get(OutputEncodingKind kind) =>
        kind == OutputEncodingKind.Utf8 ? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false) : Gbk();

    /// <summary>Kept out of line so the code-pages assembly is only loaded when GBK is asked for (startup).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Encoding Gbk()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(GbkCodePage);
    }
}
