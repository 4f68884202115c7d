using LdFleet.LdConsoleSim.Cli;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary><c>locate</c>, <c>downcpu</c>, <c>action</c> and the guest commands the simulator only acknowledges.</summary>
internal static class DeviceCommands
{
    /// <summary><c>--LLI lng,lat</c> is stored as given; per the CN doc it applies after a restart, so a stopped instance is fine.</summary>
    public static int Locate(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "locate");
        }

        if (context.Args.Get("LLI") is not { Length: > 0 } location)
        {
            return Replies.ParameterError(context);
        }

        instance.Runtime.Location = location;
        return ExitCodes.Success;
    }

    public static int DownCpu(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "downcpu");
        }

        if (context.Args.GetInt("rate") is not { } rate || rate > 100)
        {
            return Replies.ParameterError(context);
        }

        instance.Runtime.CpuRate = rate;
        return ExitCodes.Success;
    }

    /// <summary>
    /// <c>action --key k --value v</c> (§2.3): <c>call.reboot</c> restarts Android and then starts the
    /// given package (unless <c>null</c>); <c>call.locate</c> and <c>call.network</c> are recorded;
    /// other keys are acknowledged. Unknown keys are ignored like unknown options.
    /// </summary>
    public static int Action(CommandContext context)
    {
        if (AppCommands.ReadyInstance(context, "action", out var instance) is { } early)
        {
            return early;
        }

        var key = context.Args.Get("key") ?? string.Empty;
        var value = context.Args.Get("value") ?? string.Empty;
        var runtime = instance!.Runtime;
        switch (key)
        {
            case "call.reboot":
                context.World.Reboot(instance, context.Faults.SlowBoot);
                if (value is { Length: > 0 } and not "null")
                {
                    runtime.PendingApp = value;
                }

                break;
            case "call.locate":
                runtime.Location = value;
                break;
            case "call.network":
                runtime.Network = value;
                break;
            case "call.keyboard" or "call.input" or "call.shake" or "call.gravity":
                break;
            default:
                return ExitCodes.Success;
        }

        runtime.LastAction = key + "=" + value;
        return ExitCodes.Success;
    }

    /// <summary><c>pull</c>, <c>push</c>, <c>scan</c>, <c>backupapp</c>, <c>restoreapp</c>, <c>operaterecord</c>: guest must be ready, then silent rc 0.</summary>
    public static int GuestNoOp(CommandContext context) =>
        AppCommands.ReadyInstance(context, context.Args.Command!.ToLowerInvariant(), out _) ?? ExitCodes.Success;

    /// <summary><c>operatelist</c>: JSON array of recorded macros; the simulator has none.</summary>
    public static int OperateList(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "operatelist");
        }

        context.Out.WriteLine("[]");
        return ExitCodes.Success;
    }
}
