using System.Globalization;
using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary>
/// <c>modify</c> (§2.3 table): validates every given option first; one bad value →
/// <c>parameter error!</c>, exit −5, nothing written. Otherwise the config file is rewritten at
/// once, even while the instance runs (it would apply on next start). Missing instance → silent rc 0.
/// </summary>
internal static class ModifyCommand
{
    private const string Auto = "auto";

    public static int Run(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "modify");
        }

        var changes = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        if (!Collect(context, changes))
        {
            return Replies.ParameterError(context);
        }

        if (changes.Count > 0)
        {
            foreach (var (key, value) in changes)
            {
                instance.Config[key] = value;
            }

            context.World.SaveConfig(instance);
        }

        return ExitCodes.Success;
    }

    private static bool Collect(CommandContext context, Dictionary<string, JsonNode> changes)
    {
        var args = context.Args;
        if (args.Get("resolution") is { } resolution)
        {
            if (!TryParseResolution(resolution, out var width, out var height, out var dpi))
            {
                return false;
            }

            changes[ConfigKeys.Resolution] = new JsonObject { ["width"] = width, ["height"] = height };
            changes[ConfigKeys.ResolutionDpi] = dpi;
        }

        if (args.Get("cpu") is { } cpuText)
        {
            if (ParseInt(cpuText) is not { } cpu || cpu is < 1 or > 4)
            {
                return false;
            }

            changes[ConfigKeys.CpuCount] = cpu;
        }

        if (args.Get("memory") is { } memoryText)
        {
            if (ParseInt(memoryText) is not { } memory || !context.Profile.MemoryValues.Contains(memory))
            {
                return false;
            }

            changes[ConfigKeys.MemorySize] = memory;
        }

        CollectText(args, "manufacturer", ConfigKeys.Manufacturer, changes);
        CollectText(args, "model", ConfigKeys.Model, changes);
        CollectText(args, "pnumber", ConfigKeys.PhoneNumber, changes);

        return CollectIdentity(args, "imei", ConfigKeys.Imei, value => IsDigits(value, 15), Identity.Imei, changes)
            && CollectIdentity(args, "imsi", ConfigKeys.Imsi, value => IsDigits(value, 15), Identity.Imsi, changes)
            && CollectIdentity(args, "simserial", ConfigKeys.SimSerial, value => IsDigits(value, 20), Identity.SimSerial, changes)
            && CollectIdentity(args, "androidid", ConfigKeys.AndroidId, value => IsHex(value, 16), Identity.AndroidId, changes)
            && CollectMac(args, changes)
            && (!context.Profile.SupportsRoot || CollectFlag(args, "root", ConfigKeys.RootMode, changes))
            && CollectFlag(args, "autorotate", ConfigKeys.AutoRotate, changes)
            && CollectFlag(args, "lockwindow", ConfigKeys.LockWindow, changes);
    }

    /// <summary><c>w,h,dpi</c>, all positive; odd combinations such as <c>360,480,5</c> were accepted on real machines.</summary>
    private static bool TryParseResolution(string text, out int width, out int height, out int dpi)
    {
        width = height = dpi = 0;
        var parts = text.Split(',');
        if (parts.Length != 3
            || ParseInt(parts[0]) is not { } w || ParseInt(parts[1]) is not { } h || ParseInt(parts[2]) is not { } d
            || w <= 0 || h <= 0 || d <= 0)
        {
            return false;
        }

        (width, height, dpi) = (w, h, d);
        return true;
    }

    private static void CollectText(ParsedArgs args, string option, string key, Dictionary<string, JsonNode> changes)
    {
        if (args.Get(option) is { } value)
        {
            changes[key] = value;
        }
    }

    private static bool CollectIdentity(
        ParsedArgs args,
        string option,
        string key,
        Func<string, bool> isValid,
        Func<string> generate,
        Dictionary<string, JsonNode> changes)
    {
        if (args.Get(option) is not { } value)
        {
            return true;
        }

        // "auto" is resolved to a concrete random value, as the config then shows a real identity.
        if (string.Equals(value, Auto, StringComparison.OrdinalIgnoreCase))
        {
            changes[key] = generate();
            return true;
        }

        if (!isValid(value))
        {
            return false;
        }

        changes[key] = value;
        return true;
    }

    private static bool CollectMac(ParsedArgs args, Dictionary<string, JsonNode> changes)
    {
        if (args.Get("mac") is not { } value)
        {
            return true;
        }

        if (string.Equals(value, Auto, StringComparison.OrdinalIgnoreCase))
        {
            changes[ConfigKeys.MacAddress] = Identity.Mac();
            return true;
        }

        if (!IsHex(value, 12))
        {
            return false;
        }

        // §2.3: the config stores MACs upper-case without colons.
        changes[ConfigKeys.MacAddress] = value.ToUpperInvariant();
        return true;
    }

    private static bool CollectFlag(ParsedArgs args, string option, string key, Dictionary<string, JsonNode> changes)
    {
        switch (args.Get(option))
        {
            case null:
                return true;
            case "1":
                changes[key] = true;
                return true;
            case "0":
                changes[key] = false;
                return true;
            default:
                return false;
        }
    }

    private static int? ParseInt(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static bool IsDigits(string text, int length) => text.Length == length && text.All(char.IsAsciiDigit);

    private static bool IsHex(string text, int length) => text.Length == length && text.All(char.IsAsciiHexDigit);
}
