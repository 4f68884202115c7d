using System.Globalization;
using System.Text.RegularExpressions;
using LdFleet.Protocol.Commands;
using P = LdFleet.Protocol.Commands.CommandParameters;

namespace LdFleet.Protocol.Validation;

/// <summary>
/// The one set of rules for every command parameter, used by the API at the door (a 400 naming the field) and by
/// the relay right before it builds an ldconsole command line (the last line before a process starts on someone's
/// PC), so the two cannot drift. Every rule returns null for a good value, or a fragment that reads after the
/// parameter's name: <c>"title " + "must be at most 64 characters."</c>.
/// </summary>
/// <remarks>
/// The limits follow reference/ldconsole.md: LDPlayer reads a title of digits only as an index (§2.1), value sets of
/// <c>modify</c> (§2.3), property names and values Android accepts; every free text passes <see cref="TextRules"/>.
/// </remarks>
public static partial class ParameterRules
{
    public const int MaxTitleLength = 64;
    public const int MaxPackageNameLength = 255;
    public const int MaxPathLength = 260;
    public const int MaxPropertyKeyLength = 128;

    /// <summary>Android's PROP_VALUE_MAX.</summary>
    public const int MaxPropertyValueLength = 92;
    public const int MaxActionValueLength = 256;
    public const int MaxAdbCommandLength = 4096;
    public const int MaxProfileTextLength = 64;
    public const int MaxCommandIdLength = 200;

    /// <summary>Any other text parameter.</summary>
    public const int MaxTextLength = 1024;

    public const int MaxTimeoutSeconds = 3600;
    public const string Auto = "auto";

    /// <summary>Memory sizes (MB) LDPlayer 9 accepts (androtools' reading of <c>ldconsole help</c> on 9.0.79).</summary>
    public static readonly IReadOnlySet<int> AllowedMemory = new SortedSet<int> { 256, 512, 768, 1024, 1536, 2048, 4096, 8192 };

    // Characters Windows refuses in file names; LDPlayer may name files after a title (desktop shortcuts).
    private static readonly char[] FileNameUnsafe = ['\\', '/', ':', '*', '?', '"', '<', '>', '|'];
    private static readonly string[] ReservedNames = ["CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"];

    /// <summary>
    /// The rule for parameter <paramref name="name"/> of <paramref name="action"/> (an <see cref="EmulatorActions"/>
    /// name, or a workflow name: only <c>value</c> depends on it); unknown names get the plain text rule.
    /// </summary>
    public static string? Check(string name, string? value, string? action = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (value is null)
        {
            return "is required.";
        }

        return name switch
        {
            P.Title or P.Name => Title(value),
            P.From => value.Length > 0 && value.All(char.IsAsciiDigit) ? Int(value, 0, 99_999) : Title(value),
            P.PackageName => PackageName(value),
            P.ApkPath => HostPath(value, ".apk"),
            P.File => HostPath(value, ".ldbk"),
            P.Command => AdbCommand(value),
            P.Key => PropertyKey(value),
            P.Value => action == EmulatorActions.Action ? TextRules.Check(value, MaxActionValueLength) : PropertyValue(value),
            P.Longitude => Number(value, -180, 180),
            P.Latitude => Number(value, -90, 90),
            P.Rate => Int(value, 0, 100),
            P.Resolution => Resolution(value),
            P.Cpu => Int(value, 1, 4),
            P.Memory => Memory(value),
            P.Manufacturer or P.Model => TextRules.Check(value, MaxProfileTextLength),
            P.PhoneNumber => PhonePattern().IsMatch(value) ? null : "must be 3 to 20 digits, optionally starting with +.",
            P.Imei or P.Imsi => value == Auto || Digits15().IsMatch(value) ? null : "must be 15 digits or 'auto'.",
            P.SimSerial => value == Auto || Digits20().IsMatch(value) ? null : "must be 20 digits or 'auto'.",
            P.AndroidId => value == Auto || Hex16().IsMatch(value) ? null : "must be 16 hexadecimal characters or 'auto'.",
            P.Mac => value == Auto || Hex12().IsMatch(value) ? null : "must be 12 hexadecimal characters without separators, or 'auto'.",
            P.Root or P.AutoRotate or P.LockWindow or P.Audio or P.FastPlay or P.CleanMode => ParseBool(value) is null ? "must be true or false." : null,
            P.Fps => Int(value, 0, 60),
            P.Timeout => Int(value, 1, MaxTimeoutSeconds),
            P.CommandId => value.Length is > 0 and <= MaxCommandIdLength && CommandIdPattern().IsMatch(value) ? null : "must be a command id (letters, digits, '.', '-', '_').",
            _ => TextRules.Check(value, MaxTextLength),
        };
    }

    /// <summary>
    /// An emulator title: 1 to 64 characters of text, no white space at either end, not digits only (ldconsole would
    /// read it as an index), and usable as a Windows file name (no <c>\ / : * ? " &lt; &gt; |</c>, no trailing dot,
    /// no device name such as CON), so a title such as <c>../../etc/passwd</c> is refused.
    /// </summary>
    public static string? Title(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (TextRules.Check(value, MaxTitleLength, allowDoubleQuotes: true) is { } problem)
        {
            return problem;
        }

        if (value.Trim().Length != value.Length)
        {
            return "must not start or end with white space.";
        }

        if (value.All(char.IsAsciiDigit))
        {
            return "must not consist of digits only (ldconsole would read it as an index).";
        }

        if (value.IndexOfAny(FileNameUnsafe) >= 0)
        {
            return "must not contain \\ / : * ? \" < > or | (LDPlayer may use a title as a file name).";
        }

        if (value.EndsWith('.'))
        {
            return "must not end with a dot.";
        }

        var stem = value.Split('.')[0];
        return ReservedNames.Contains(stem, StringComparer.OrdinalIgnoreCase) ? $"must not be the Windows device name {stem}." : null;
    }

    /// <summary>An Android package name such as <c>com.example.app</c>: dotted Java identifiers, at most 255 characters.</summary>
    public static string? PackageName(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length is > 0 and <= MaxPackageNameLength && PackagePattern().IsMatch(value)
            ? null
            : "must be an Android package name such as com.example.app (letters, digits and '_' in two or more dot-separated parts).";
    }

    /// <summary>
    /// An absolute path of a file on the LDPlayer host (<c>C:\apks\app.apk</c>, <c>\\server\share\b.ldbk</c>, or
    /// <c>/srv/b.ldbk</c> on a simulated host) ending with <paramref name="extension"/>: no <c>..</c> segments, no
    /// wildcards or quotes, at most 260 characters.
    /// </summary>
    public static string? HostPath(string value, string extension)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(extension);
        if (TextRules.Check(value, MaxPathLength) is { } problem)
        {
            return problem;
        }

        if (value.IndexOfAny(['*', '?', '<', '>', '|']) >= 0)
        {
            return "must not contain * ? < > or |.";
        }

        if (value.Split('/', '\\').Any(segment => segment == ".."))
        {
            return "must not contain '..' segments.";
        }

        var drive = value.Length >= 3 && char.IsAsciiLetter(value[0]) && value[1] == ':' && value[2] is '\\' or '/';
        var unc = value.StartsWith(@"\\", StringComparison.Ordinal) && value.Length > 2;
        var posix = value.StartsWith('/') && !value.StartsWith("//", StringComparison.Ordinal);
        if (!(drive || unc || posix))
        {
            return @"must be an absolute path on the host, e.g. C:\apks\app.apk.";
        }

        if (value.IndexOf(':', drive ? 2 : 0) >= 0)
        {
            return "must not contain ':' except after the drive letter.";
        }

        return value.EndsWith(extension, StringComparison.OrdinalIgnoreCase) && value.Length > extension.Length + 1
            ? null
            : $"must name a {extension} file.";
    }

    /// <summary>An Android property name (<c>phone.imei</c>, <c>call.keyboard</c>): letters, digits, '.', '_' and '-'.</summary>
    public static string? PropertyKey(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length is > 0 and <= MaxPropertyKeyLength && PropertyKeyPattern().IsMatch(value)
            ? null
            : $"must be a property name of at most {MaxPropertyKeyLength} letters, digits, '.', '_' or '-'.";
    }

    /// <summary>A property value: text of at most 92 characters (empty allowed).</summary>
    public static string? PropertyValue(string value) => TextRules.Check(value, MaxPropertyValueLength, allowEmpty: true);

    /// <summary>
    /// The text of <c>adb --command</c>: ldconsole passes it through its Windows command line to adb and often to the
    /// guest's shell, where quotes of either kind break apart (reference §2.3), so none at all.
    /// </summary>
    public static string? AdbCommand(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (TextRules.Check(value, MaxAdbCommandLength) is { } problem)
        {
            return problem;
        }

        if (value.Contains('\'', StringComparison.Ordinal))
        {
            return "must not contain quotes (ldconsole and adb do not pass them through intact).";
        }

        return value.Trim().Length == 0 ? "is required." : null;
    }

    /// <summary><c>width,height,dpi</c> for <c>modify --resolution</c>.</summary>
    public static string? Resolution(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split(',');
        return parts.Length == 3 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            ? Resolution(Parse(parts[0]), Parse(parts[1]), Parse(parts[2]))
            : "must be width,height,dpi, e.g. 1280,720,240.";

        static int Parse(string part) => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
    }

    public static string? Resolution(int width, int height, int dpi) =>
        width is < 100 or > 7680 || height is < 100 or > 7680 || dpi is < 60 or > 960
            ? "must have width and height of 100-7680 and dpi of 60-960."
            : null;

    /// <summary>LDPlayer 9 answers "parameter error!" to 5 CPUs and above (reference §2.3).</summary>
    public static string? Cpu(int value) => value is < 1 or > 4 ? "must be 1, 2, 3 or 4." : null;

    public static string? Memory(int value) => AllowedMemory.Contains(value) ? null : $"must be one of {string.Join(", ", AllowedMemory)} (MB).";

    public static string? Rate(int value) => value is < 0 or > 100 ? "must be 0 to 100 (percent)." : null;

    public static string? Fps(int value) => value is < 0 or > 60 ? "must be 0 to 60." : null;

    public static string? Longitude(double value) => double.IsFinite(value) && value is >= -180 and <= 180 ? null : "must be between -180 and 180.";

    public static string? Latitude(double value) => double.IsFinite(value) && value is >= -90 and <= 90 ? null : "must be between -90 and 90.";

    /// <summary>A boolean parameter: <c>true</c>/<c>false</c> or <c>1</c>/<c>0</c>; null when it is neither.</summary>
    public static bool? ParseBool(string? value) => value switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => null,
    };

    /// <summary>
    /// A host name or IP address, optionally with <c>:port</c> (IPv6 in brackets): where a relay reaches an LDPlayer
    /// PC over SSH.
    /// </summary>
    public static string? HostAddress(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var host = value;
        var port = (string?)null;
        if (value.StartsWith('['))
        {
            var end = value.IndexOf(']', StringComparison.Ordinal);
            if (end < 0)
            {
                return "must be a host name or IP address, optionally with :port.";
            }

            host = value[1..end];
            port = value.Length > end + 1 ? (value[end + 1] == ':' ? value[(end + 2)..] : "x") : null;
            if (!System.Net.IPAddress.TryParse(host, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return "must be a host name or IP address, optionally with :port.";
            }
        }
        else if (value.LastIndexOf(':') is var colon and > 0)
        {
            host = value[..colon];
            port = value[(colon + 1)..];
        }

        if (port is not null && !(int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535))
        {
            return "must have a port from 1 to 65535 after the colon.";
        }

        return value.StartsWith('[') || (host.Length is > 0 and <= 253 && HostNamePattern().IsMatch(host))
            ? null
            : "must be a host name or IP address, optionally with :port.";
    }

    private static string? Int(string value, int min, int max) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"must be a whole number from {min} to {max}.");

    private static string? Number(string value, double min, double max) =>
        double.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var d)
            && double.IsFinite(d) && d >= min && d <= max
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"must be a number from {min} to {max}.");

    private static string? Memory(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Memory(n) : Memory(-1);

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+\z", RegexOptions.CultureInvariant)]
    private static partial Regex PackagePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex PropertyKeyPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex CommandIdPattern();

    [GeneratedRegex(@"^[0-9]{15}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Digits15();

    [GeneratedRegex(@"^[0-9]{20}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Digits20();

    [GeneratedRegex(@"^[0-9A-Fa-f]{16}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Hex16();

    [GeneratedRegex(@"^[0-9A-Fa-f]{12}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Hex12();

    [GeneratedRegex(@"^\+?[0-9]{3,20}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PhonePattern();

    // Host name labels (letters, digits, hyphens, not at either end) or a dotted IPv4 address.
    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostNamePattern();
}
