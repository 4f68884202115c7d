using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Profiles;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary>
/// Real ldconsole command names → handlers. Matching is case-insensitive: wrappers use both
/// <c>sortWnd</c> and <c>sortwnd</c> and nobody reported which the real tool requires (§2.1).
/// </summary>
internal static class CommandTable
{
    private static readonly Dictionary<string, Func<CommandContext, int>> Handlers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["list"] = QueryCommands.List,
        ["list2"] = QueryCommands.List2,
        ["runninglist"] = QueryCommands.RunningList,
        ["isrunning"] = QueryCommands.IsRunning,
        ["launch"] = LifecycleCommands.Launch,
        ["launchex"] = LifecycleCommands.LaunchEx,
        ["quit"] = LifecycleCommands.Quit,
        ["quitall"] = LifecycleCommands.QuitAll,
        ["reboot"] = LifecycleCommands.Reboot,
        ["add"] = ManagementCommands.Add,
        ["copy"] = ManagementCommands.Copy,
        ["remove"] = ManagementCommands.Remove,
        ["rename"] = ManagementCommands.Rename,
        ["modify"] = ModifyCommand.Run,
        ["installapp"] = AppCommands.InstallApp,
        ["uninstallapp"] = AppCommands.UninstallApp,
        ["runapp"] = AppCommands.RunApp,
        ["killapp"] = AppCommands.KillApp,
        ["adb"] = AdbCommand.Run,
        ["setprop"] = PropCommands.SetProp,
        ["getprop"] = PropCommands.GetProp,
        ["locate"] = DeviceCommands.Locate,
        ["downcpu"] = DeviceCommands.DownCpu,
        ["action"] = DeviceCommands.Action,
        ["pull"] = DeviceCommands.GuestNoOp,
        ["push"] = DeviceCommands.GuestNoOp,
        ["scan"] = DeviceCommands.GuestNoOp,
        ["backupapp"] = DeviceCommands.GuestNoOp,
        ["restoreapp"] = DeviceCommands.GuestNoOp,
        ["operaterecord"] = DeviceCommands.GuestNoOp,
        ["operatelist"] = DeviceCommands.OperateList,
        ["backup"] = BackupCommands.Backup,
        ["restore"] = BackupCommands.Restore,
        ["globalsetting"] = GlobalCommands.GlobalSetting,
        ["sortWnd"] = GlobalCommands.NoOp,
        ["zoomIn"] = GlobalCommands.NoOp,
        ["zoomOut"] = GlobalCommands.NoOp,
        ["rock"] = GlobalCommands.NoOp,
    };

    public static int Execute(CommandContext context)
    {
        var command = context.Args.Command;
        if (command is null || string.Equals(command, "help", StringComparison.OrdinalIgnoreCase))
        {
            // Bare invocation (the way ProcessVerifier-style probes call it) or help: banner, rc 0.
            context.Out.Write(UsageText.For(context.Profile));
            return ExitCodes.Success;
        }

        return Handlers.TryGetValue(command, out var handler) ? handler(context) : Replies.UnknownCommand(context);
    }
}
