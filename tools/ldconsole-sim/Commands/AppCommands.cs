using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary>
/// <c>installapp</c>, <c>uninstallapp</c>, <c>runapp</c>, <c>killapp</c>. All need a ready guest
/// (§4.5); otherwise the adb error text is printed with rc 0. Missing instance → <c>player don't
/// exist!</c>, rc 0 (§2.2 runapp row).
/// </summary>
internal static class AppCommands
{
    /// <summary>Sidecar next to an APK naming its package: <c>game.apk.package</c> holding <c>com.example.game</c>.</summary>
    public const string PackageSidecarSuffix = ".package";

    public static int InstallApp(CommandContext context)
    {
        if (ReadyInstance(context, "installapp", out var instance) is { } early)
        {
            return early;
        }

        string package;
        if (context.Args.Get("filename") is { Length: > 0 } file)
        {
            // A missing APK is an argument error in the simulator (real adb would print its own text).
            if (!File.Exists(file))
            {
                return Replies.ParameterError(context);
            }

            package = PackageFromApk(file);
        }
        else if (context.Args.Get("packagename") is { Length: > 0 } name)
        {
            package = name;
        }
        else
        {
            return Replies.ParameterError(context);
        }

        if (!instance!.Runtime.Packages.Contains(package))
        {
            instance.Runtime.Packages.Add(package);
        }

        return ExitCodes.Success;
    }

    public static int UninstallApp(CommandContext context)
    {
        if (ReadyInstance(context, "uninstallapp", out var instance) is { } early)
        {
            return early;
        }

        if (context.Args.Get("packagename") is { Length: > 0 } package)
        {
            instance!.Runtime.Packages.Remove(package);
            StopApp(instance.Runtime, package);
        }

        return ExitCodes.Success;
    }

    /// <summary>Starting a package that is not installed does nothing, silently (rc 0 is no proof of success, §2.2).</summary>
    public static int RunApp(CommandContext context)
    {
        if (ReadyInstance(context, "runapp", out var instance) is { } early)
        {
            return early;
        }

        if (context.Args.Get("packagename") is { Length: > 0 } package
            && Guest.IsInstalled(instance!, package)
            && !instance!.Runtime.RunningApps.Contains(package))
        {
            instance.Runtime.RunningApps.Add(package);
        }

        return ExitCodes.Success;
    }

    public static int KillApp(CommandContext context)
    {
        if (ReadyInstance(context, "killapp", out var instance) is { } early)
        {
            return early;
        }

        if (context.Args.Get("packagename") is { Length: > 0 } package)
        {
            StopApp(instance!.Runtime, package);
        }

        return ExitCodes.Success;
    }

    public static void StopApp(InstanceRuntime runtime, string package)
    {
        runtime.RunningApps.Remove(package);
        if (runtime.PendingApp == package)
        {
            runtime.PendingApp = null;
        }
    }

    /// <summary>
    /// Resolves the selector and checks the guest answers. Returns the exit code to stop with, or
    /// null when <paramref name="instance"/> is ready for the command.
    /// </summary>
    public static int? ReadyInstance(CommandContext context, string command, out Instance? instance)
    {
        instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, command);
        }

        return instance.Phase == InstancePhase.Ready ? null : Replies.GuestUnavailable(context, instance);
    }

    private static string PackageFromApk(string file)
    {
        var sidecar = file + PackageSidecarSuffix;
        if (File.Exists(sidecar) && File.ReadLines(sidecar).FirstOrDefault()?.Trim() is { Length: > 0 } named)
        {
            return named;
        }

        return Path.GetFileNameWithoutExtension(file);
    }
}
