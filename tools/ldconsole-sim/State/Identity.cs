using System.Globalization;
using System.Text;

namespace LdFleet.LdConsoleSim.State;

/// <summary>Random device identities in the shapes <c>modify</c> validates (§2.3).</summary>
internal static class Identity
{
    public static string Imei() => "86" + Digits(13);

    public static string Imsi() => "46000" + Digits(10);

    public static string SimSerial() => "8986" + Digits(16);

    public static string AndroidId() => Hex(16, upper: false);

    /// <summary>The config stores MACs upper-case without colons, e.g. <c>00DB48FD6270</c>.</summary>
    public static string Mac() => "00DB" + Hex(8, upper: true);

    public static string PhoneNumber() => "13" + Digits(9);

    public static string Digits(int count)
    {
        var builder = new StringBuilder(count);
        for (var i = 0; i < count; i++)
        {
            builder.Append((char)('0' + Random.Shared.Next(10)));
        }

        return builder.ToString();
    }

    private static string Hex(int count, bool upper)
    {
        var builder = new StringBuilder(count);
        for (var i = 0; i < count; i++)
        {
            builder.Append(Random.Shared.Next(16).ToString(upper ? "X" : "x", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}
