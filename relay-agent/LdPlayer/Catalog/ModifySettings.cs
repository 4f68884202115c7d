using LdFleet.Protocol.Validation;
using P = LdFleet.Protocol.Commands.CommandParameters;

namespace LdFleet.Relay.LdPlayer.Catalog;

/// <summary>Screen resolution for <c>modify --resolution w,h,dpi</c>.</summary>
internal sealed record Resolution(int Width, int Height, int Dpi);

/// <summary>
/// The settings <c>ldconsole modify</c> can change, validated client-side with the value sets of reference
/// §2.3 (the shared <see cref="ParameterRules"/>) so a typo becomes a clear error instead of a silent no-op or
/// "parameter error!".
/// </summary>
internal sealed record ModifySettings
{
    /// <summary>Memory sizes (MB) accepted by LDPlayer 9 (androtools' reading of <c>ldconsole help</c> on 9.0.79).</summary>
    public static IReadOnlySet<int> AllowedMemory => ParameterRules.AllowedMemory;

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
            LdArguments.Check(P.Resolution, ParameterRules.Resolution(r.Width, r.Height, r.Dpi));
            args.AddRange(["--resolution", $"{LdArguments.Int(r.Width)},{LdArguments.Int(r.Height)},{LdArguments.Int(r.Dpi)}"]);
        }

        if (Cpu is { } cpu)
        {
            LdArguments.Check(P.Cpu, ParameterRules.Cpu(cpu));
            args.AddRange(["--cpu", LdArguments.Int(cpu)]);
        }

        if (Memory is { } memory)
        {
            LdArguments.Check(P.Memory, ParameterRules.Memory(memory));
            args.AddRange(["--memory", LdArguments.Int(memory)]);
        }

        AddChecked(args, "--manufacturer", P.Manufacturer, Manufacturer);
        AddChecked(args, "--model", P.Model, Model);
        AddChecked(args, "--pnumber", P.PhoneNumber, PhoneNumber);
        AddChecked(args, "--imei", P.Imei, Imei);
        AddChecked(args, "--imsi", P.Imsi, Imsi);
        AddChecked(args, "--simserial", P.SimSerial, SimSerial);
        AddChecked(args, "--androidid", P.AndroidId, AndroidId);
        if (Mac is not null)
        {
            // The config stores MACs upper-case without separators (reference §2.3).
            LdArguments.Check(P.Mac, ParameterRules.Check(P.Mac, Mac));
            args.AddRange(["--mac", Mac == ParameterRules.Auto ? Mac : Mac.ToUpperInvariant()]);
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

    private static void AddChecked(List<string> args, string option, string parameter, string? value)
    {
        if (value is not null)
        {
            LdArguments.Check(parameter, ParameterRules.Check(parameter, value));
            args.AddRange([option, value]);
        }
    }

    private static void AddFlag(List<string> args, string option, bool? value)
    {
        if (value is { } flag)
        {
            args.AddRange([option, LdArguments.Flag(flag)]);
        }
    }
}
