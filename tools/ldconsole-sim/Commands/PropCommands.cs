using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary><c>setprop</c> / <c>getprop</c> (§2.3).</summary>
internal static class PropCommands
{
    /// <summary>
    /// Stored per instance and kept across restarts; works on a stopped instance (official examples
    /// set <c>phone.imei auto</c> ahead of a boot). <c>auto</c> for phone.imei/imsi/simserial is
    /// resolved to a random value.
    /// </summary>
    public static int SetProp(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "setprop");
        }

        if (context.Args.Get("key") is not { Length: > 0 } key)
        {
            return Replies.ParameterError(context);
        }

        var value = context.Args.Get("value") ?? string.Empty;
        if (string.Equals(value, "auto", StringComparison.OrdinalIgnoreCase))
        {
            value = key switch
            {
                "phone.imei" => Identity.Imei(),
                "phone.imsi" => Identity.Imsi(),
                "phone.simserial" => Identity.SimSerial(),
                _ => value,
            };
        }

        instance.Runtime.Props[key] = value;
        return ExitCodes.Success;
    }

    /// <summary>
    /// With <c>--key</c>: the value and CRLF (empty line for an unknown key). Without: every property
    /// as <c>[key]: [value]</c> lines, like <c>adb shell getprop</c>. Not ready → adb error text, rc 0.
    /// </summary>
    public static int GetProp(CommandContext context)
    {
        if (AppCommands.ReadyInstance(context, "getprop", out var instance) is { } early)
        {
            return early;
        }

        var props = Guest.Properties(context.World, instance!);
        if (context.Args.Get("key") is { Length: > 0 } key)
        {
            context.Out.WriteLine(props.TryGetValue(key, out var value) ? value : string.Empty);
            return ExitCodes.Success;
        }

        foreach (var (name, value) in props)
        {
            context.Out.WriteLine("[" + name + "]: [" + value + "]");
        }

        return ExitCodes.Success;
    }
}
