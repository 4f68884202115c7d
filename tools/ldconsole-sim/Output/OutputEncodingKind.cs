namespace LdFleet.LdConsoleSim.Output;

internal enum OutputEncodingKind
{
    Utf8,

    /// <summary>Code page 936, what a Chinese Windows ANSI code page produces (§3.5).</summary>
    Gbk,
}
