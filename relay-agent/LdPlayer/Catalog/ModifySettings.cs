using System.Text.RegularExpressions;

namespace LdFleet.Relay.LdPlayer.Catalog;

/// <summary>Screen resolution for <c>modify --resolution w,h,dpi</c>.</summary>
internal sealed record Resolution(int Width, int Height, int Dpi);

/// <summary>
/// The settings <c>ldconsole modify</c> can change, validated client-side with the value sets of reference
/// §2.3 so a typo becomes a clear error instead of a silent no-op or "parameter error!".
/// </summary>
internal sealed partial record ModifySettings
{
    /// <summary>Memory sizes (MB) accepted by LDPlayer 9 (androtools' reading of <c>ldconsole help</c> on 9.0.79).</summary>
    public static readonly IReadOnlySet<int> AllowedMemory = new HashSet<int> { 256, 512, 768, 1024, 1536, 2048, 4096, 8192 };

    public Resolution? Resolution { get; init; }

    public int? Cpu { get; init; }

    public int? Memory { get; init; }

    public string? Manufacturer { get; init; }

    public string? Model { get; init; }

    public string? PhoneNumber { get; init; }

    /// <summary>15 digits or "auto".</summary>
    public string? Imei { get; init; }

    /// <summary>15 digits or "auto".</summary>
    public string? Imsi { get; init; }

    /// <summary>20 digits or "auto".</summary>
    public string? SimSerial { get; init; }

    /// <summary>16 hex characters or "auto".</summary>
    public string? AndroidId { get; init; }

    /// <summary>12 hex characters without separators, or "auto".</summary>
    public string? Mac { get; init; }

    public bool? Root { get; init; }

    public bool? AutoRotate { get; init; }

    public bool? LockWindow { get; init; }

    /// <summary>Validates every value and returns the ldconsole options, in a stable order.</summary>
    public IReadOnlyList<string> ToArguments()
    {
        var args = new List<string>();
        if (Resolution is { } r)
        {
            if (r.Width is < 100 or > 7680 || r.Height is < 100 or > 7680 || r.Dpi is < 60 or > 960)
            {
                throw new LdArgumentException("resolution", "width and height must be 100-7680 and dpi 60-960.");
            }

            args.AddRange(["--resolution", $"{LdArguments.Int(r.Width)},{LdArguments.Int(r.Height)},{LdArguments.Int(r.Dpi)}"]);
        }

        if (Cpu is { } cpu)
        {
            // LDPlayer 9 answers "parameter error!" to 5 and above (reference §2.3).
            if (cpu is < 1 or > 4)
            {
                throw new LdArgumentException("cpu", "must be 1, 2, 3 or 4.");
            }

            args.AddRange(["--cpu", LdArguments.Int(cpu)]);
        }

        if (Memory is { } memory)
        {
            if (!AllowedMemory.Contains(memory))
            {
                throw new LdArgumentException("memory", $"must be one of {string.Join(", ", AllowedMemory.Order())} (MB).");
            }

            args.AddRange(["--memory", LdArguments.Int(memory)]);
        }

        AddText(args, "--manufacturer", "manufacturer", Manufacturer, 64);
        AddText(args, "--model", "model", Model, 64);
        if (PhoneNumber is not null)
        {
            args.AddRange(["--pnumber", Checked("phoneNumber", PhoneNumber, PhonePattern(), "must be 3 to 20 digits, optionally starting with +.")]);
        }

        AddIdentity(args, "--imei", "imei", Imei, Digits15(), "must be 15 digits or 'auto'.");
        AddIdentity(args, "--imsi", "imsi", Imsi, Digits15(), "must be 15 digits or 'auto'.");
        AddIdentity(args, "--simserial", "simSerial", SimSerial, Digits20(), "must be 20 digits or 'auto'.");
        AddIdentity(args, "--androidid", "androidId", AndroidId, Hex16(), "must be 16 hexadecimal characters or 'auto'.");
        if (Mac is not null)
        {
            // The config stores MACs upper-case without separators (reference §2.3).
            var mac = Mac == "auto" ? Mac : Checked("mac", Mac, Hex12(), "must be 12 hexadecimal characters without separators, or 'auto'.").ToUpperInvariant();
            args.AddRange(["--mac", mac]);
        }

        AddFlag(args, "--root", Root);
        AddFlag(args, "--autorotate", AutoRotate);
        AddFlag(args, "--lockwindow", LockWindow);

        if (args.Count == 0)
        {
            throw new LdArgumentException("settings", "name at least one setting to modify.");
        }

        return args;
    }

    private static void AddText(List<string> args, string option, string parameter, string? value, int maxLength)
    {
        if (value is not null)
        {
            args.AddRange([option, LdArguments.Text(parameter, value, maxLength)]);
        }
    }

    private static void AddIdentity(List<string> args, string option, string parameter, string? value, Regex pattern, string rule)
    {
        if (value is not null)
        {
            args.AddRange([option, value == "auto" ? value : Checked(parameter, value, pattern, rule)]);
        }
    }

    private static void AddFlag(List<string> args, string option, bool? value)
    {
        if (value is { } flag)
        {
            args.AddRange([option, LdArguments.Flag(flag)]);
        }
    }

    private static string Checked(string parameter, string value, Regex pattern, string rule) =>
        pattern.IsMatch(value) ? value : throw new LdArgumentException(parameter, rule);

    [GeneratedRegex(@"^\d{15}\z")]
    private static partial Regex Digits15();

    [GeneratedRegex(@"^\d{20}\z")]
    private static partial Regex Digits20();

    [GeneratedRegex(@"^[0-9A-Fa-f]{16}\z")]
    private static partial Regex Hex16();

    [GeneratedRegex(@"^[0-9A-Fa-f]{12}\z")]
    private static partial Regex Hex12();

    [GeneratedRegex(@"^\+?\d{3,20}\z")]
    private static partial Regex PhonePattern();
}
