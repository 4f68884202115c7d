using System.Globalization;

namespace LdFleet.Relay.LdPlayer;

/// <summary>One emulator as <c>ldconsole list2</c> describes it.</summary>
internal sealed record EmulatorInfo(
    int Index,
    string Title,
    long TopWindowHandle,
    long BindWindowHandle,
    int AndroidState,
    int PlayerProcessId,
    int VmProcessId,
    int? Width,
    int? Height,
    int? Dpi)
{
    /// <summary>The emulator's processes exist (it is starting or running).</summary>
    public bool IsStarted => PlayerProcessId > 0;

    /// <summary>list2 says Android has been entered; ADB may still need a few seconds (reference §4.3).</summary>
    public bool IsAndroidStarted => AndroidState == 1 && PlayerProcessId > 0;
}

/// <summary>
/// Parses <c>list2</c>: 7 columns on old builds, 10 on LDPlayer 9 and 14; titles may contain commas, so the
/// index is taken from the front and the numeric tail from the back (reference §3.1). Never throws.
/// </summary>
internal static class List2Parser
{
    public static bool TryParse(string text, out IReadOnlyList<EmulatorInfo> emulators, out string? error)
    {
        var list = new List<EmulatorInfo>();
        var lines = (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < lines.Length; i++)
        {
            if (!TryParseLine(lines[i], out var info))
            {
                emulators = [];
                error = $"list2 line {i + 1} is not in a known format: '{Truncate(lines[i])}'.";
                return false;
            }

            list.Add(info);
        }

        emulators = list;
        error = null;
        return true;
    }

    private static bool TryParseLine(string line, out EmulatorInfo info)
    {
        info = null!;
        var fields = line.Split(',');
        if (fields.Length < 7 || !TryInt(fields[0], out var index) || index < 0)
        {
            return false;
        }

        // Prefer the 10-column reading when its 8-field tail is numeric; a title ending in ",1,2,3" could
        // fool it only on a 7-column build, which prints no resolution anyway.
        return (fields.Length >= 10 && TryParseTail(fields, index, tailLength: 8, out info))
            || TryParseTail(fields, index, tailLength: 5, out info);
    }

    private static bool TryParseTail(string[] fields, int index, int tailLength, out EmulatorInfo info)
    {
        info = null!;
        var t = fields.Length - tailLength;
        if (t < 2
            || !TryLong(fields[t], out var top)
            || !TryLong(fields[t + 1], out var bind)
            || !TrySignedInt(fields[t + 2], out var state)
            || !TrySignedInt(fields[t + 3], out var playerPid)
            || !TrySignedInt(fields[t + 4], out var vmPid))
        {
            return false;
        }

        int? width = null, height = null, dpi = null;
        if (tailLength == 8)
        {
            if (!TryInt(fields[t + 5], out var w) || !TryInt(fields[t + 6], out var h) || !TryInt(fields[t + 7], out var d))
            {
                return false;
            }

            (width, height, dpi) = (w, h, d);
        }

        info = new EmulatorInfo(index, string.Join(',', fields[1..t]), top, bind, state, playerPid, vmPid, width, height, dpi);
        return true;
    }

    private static bool TryInt(string s, out int value) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static bool TrySignedInt(string s, out int value) => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static bool TryLong(string s, out long value) => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static string Truncate(string s) => s.Length <= 120 ? s : s[..120] + "…";
}
