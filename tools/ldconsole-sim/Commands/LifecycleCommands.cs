using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary><c>launch</c>, <c>launchex</c>, <c>quit</c>, <c>quitall</c>, <c>reboot</c> (§2.3 Lifecycle, §4.3).</summary>
internal static class LifecycleCommands
{
    /// <summary>Returns at once; the boot continues on the virtual clock. <c>--mini</c>/<c>--hide</c> are accepted and ignored.</summary>
    public static int Launch(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "launch");
        }

        if (!context.Faults.Session0)
        {
            context.World.Launch(instance, context.Faults.SlowBoot);
        }

        return ExitCodes.Success;
    }

    /// <summary>Launch, then start <c>--packagename</c> once the guest is ready.</summary>
    public static int LaunchEx(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "launchex");
        }

        if (context.Faults.Session0)
        {
            return ExitCodes.Success;
        }

        context.World.Launch(instance, context.Faults.SlowBoot);
        if (context.Args.Get("packagename") is { Length: > 0 } package && Guest.IsInstalled(instance, package))
        {
            instance.Runtime.PendingApp = package;
        }

        return ExitCodes.Success;
    }

    public static int Quit(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "quit");
        }

        if (!context.Faults.Session0)
        {
            SimWorld.Stop(instance.Runtime);
        }

        return ExitCodes.Success;
    }

    public static int QuitAll(CommandContext context)
    {
        if (!context.Faults.Session0)
        {
            foreach (var instance in context.World.All())
            {
                SimWorld.Stop(instance.Runtime);
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Running → the boot timeline restarts (player PIDs and windows stay); stopped → launched.
    /// The LD14 report of reboot resetting the resolution (§2.3) is not reproduced.
    /// </summary>
    public static int Reboot(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "reboot");
        }

        if (!context.Faults.Session0)
        {
            context.World.Reboot(instance, context.Faults.SlowBoot);
        }

        return ExitCodes.Success;
    }
}
