using LdFleet.Protocol.Validation;

namespace LdFleet.Relay.LdPlayer.Catalog;

/// <summary>How to read what an ldconsole command returns (reference §2.2).</summary>
internal enum LdCommandKind
{
    /// <summary>Prints data; safe to repeat.</summary>
    Query,

    /// <summary>Silent with exit 0 on success; any output means failure; the exit code alone proves nothing.</summary>
    Action,

    /// <summary>add/copy: silent, and the exit code is the new emulator's index.</summary>
    Create,

    /// <summary>Runs inside Android (adb, getprop): output is data; errors come as text with exit 0.</summary>
    Guest,
}

/// <summary>One ldconsole invocation: the validated argument list and how to judge its outcome.</summary>
internal sealed record LdConsoleCommand(string Name, IReadOnlyList<string> Arguments, LdCommandKind Kind, TimeSpan DefaultTimeout)
{
    /// <summary>The emulator addressed, if any.</summary>
    public EmulatorSelector? Target { get; init; }

    public override string ToString() => string.Join(' ', Arguments);
}

/// <summary>
/// The catalog of ldconsole commands users need, each built from validated values. Every method throws
/// <see cref="LdArgumentException"/> for a value that must not reach ldconsole.
/// </summary>
internal static class LdConsoleCommands
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan VerySlow = TimeSpan.FromMinutes(15);

    public static LdConsoleCommand List2() => new("list2", ["list2"], LdCommandKind.Query, Quick);

    public static LdConsoleCommand RunningList() => new("runninglist", ["runninglist"], LdCommandKind.Query, Quick);

    public static LdConsoleCommand IsRunning(EmulatorSelector target) => Targeted("isrunning", target, LdCommandKind.Query, Quick);

    public static LdConsoleCommand GetProp(EmulatorSelector target, string? key = null) =>
        Targeted("getprop", target, LdCommandKind.Guest, Quick, key is null ? [] : ["--key", LdArguments.PropertyKey("key", key)]);

    public static LdConsoleCommand SetProp(EmulatorSelector target, string key, string value) =>
        Targeted("setprop", target, LdCommandKind.Action, Quick, ["--key", LdArguments.PropertyKey("key", key), "--value", LdArguments.PropertyValue("value", value)]);

    public static LdConsoleCommand Launch(EmulatorSelector target) => Targeted("launch", target, LdCommandKind.Action, Quick);

    public static LdConsoleCommand LaunchEx(EmulatorSelector target, string packageName) =>
        Targeted("launchex", target, LdCommandKind.Action, Quick, ["--packagename", LdArguments.PackageName("packageName", packageName)]);

    public static LdConsoleCommand Quit(EmulatorSelector target) => Targeted("quit", target, LdCommandKind.Action, Quick);

    public static LdConsoleCommand QuitAll() => new("quitall", ["quitall"], LdCommandKind.Action, Quick);

    public static LdConsoleCommand Reboot(EmulatorSelector target) => Targeted("reboot", target, LdCommandKind.Action, Quick);

    public static LdConsoleCommand Add(string? title = null) =>
        new("add", title is null ? ["add"] : ["add", "--name", LdArguments.Title("title", title)], LdCommandKind.Create, Slow);

    /// <summary>Clones an emulator; it can take minutes for large disks (reference §2.3).</summary>
    public static LdConsoleCommand Copy(EmulatorSelector source, string? title = null)
    {
        // copy --from reads "all digits" as an index and anything else as a title (reference §2.1).
        var from = source switch
        {
            IndexSelector i => LdArguments.Int(i.Index),
            NameSelector n => n.Title,
            _ => throw new ArgumentOutOfRangeException(nameof(source)),
        };
        var args = new List<string> { "copy" };
        if (title is not null)
        {
            args.AddRange(["--name", LdArguments.Title("title", title)]);
        }

        args.AddRange(["--from", from]);
        return new("copy", args, LdCommandKind.Create, Slow) { Target = source };
    }

    public static LdConsoleCommand Remove(EmulatorSelector target) => Targeted("remove", target, LdCommandKind.Action, Slow);

    public static LdConsoleCommand Rename(EmulatorSelector target, string newTitle) =>
        Targeted("rename", target, LdCommandKind.Action, Quick, ["--title", LdArguments.Title("title", newTitle)]);

    public static LdConsoleCommand Modify(EmulatorSelector target, ModifySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Targeted("modify", target, LdCommandKind.Action, Quick, settings.ToArguments());
    }

    public static LdConsoleCommand InstallApp(EmulatorSelector target, string apkPath) =>
        Targeted("installapp", target, LdCommandKind.Action, Slow, ["--filename", LdArguments.HostPath("apkPath", apkPath, ".apk")]);

    public static LdConsoleCommand InstallAppFromStore(EmulatorSelector target, string packageName) =>
        Targeted("installapp", target, LdCommandKind.Action, Slow, ["--packagename", LdArguments.PackageName("packageName", packageName)]);

    public static LdConsoleCommand UninstallApp(EmulatorSelector target, string packageName) =>
        Targeted("uninstallapp", target, LdCommandKind.Action, Slow, ["--packagename", LdArguments.PackageName("packageName", packageName)]);

    public static LdConsoleCommand RunApp(EmulatorSelector target, string packageName) =>
        Targeted("runapp", target, LdCommandKind.Action, Quick, ["--packagename", LdArguments.PackageName("packageName", packageName)]);

    public static LdConsoleCommand KillApp(EmulatorSelector target, string packageName) =>
        Targeted("killapp", target, LdCommandKind.Action, Quick, ["--packagename", LdArguments.PackageName("packageName", packageName)]);

    /// <summary>Runs an adb command line for the emulator, e.g. <c>shell getprop sys.boot_completed</c>.</summary>
    public static LdConsoleCommand Adb(EmulatorSelector target, string command, TimeSpan? timeout = null) =>
        Targeted("adb", target, LdCommandKind.Guest, timeout ?? TimeSpan.FromMinutes(2), ["--command", LdArguments.AdbCommand("command", command)]);

    public static LdConsoleCommand Locate(EmulatorSelector target, double longitude, double latitude) =>
        Targeted("locate", target, LdCommandKind.Action, Quick, ["--LLI", LdArguments.Coordinates("location", longitude, latitude)]);

    public static LdConsoleCommand DownCpu(EmulatorSelector target, int rate)
    {
        LdArguments.Check("rate", ParameterRules.Rate(rate));
        return Targeted("downcpu", target, LdCommandKind.Action, Quick, ["--rate", LdArguments.Int(rate)]);
    }

    public static LdConsoleCommand Backup(EmulatorSelector target, string file) =>
        Targeted("backup", target, LdCommandKind.Action, VerySlow, ["--file", LdArguments.HostPath("file", file, ".ldbk")]);

    public static LdConsoleCommand Restore(EmulatorSelector target, string file) =>
        Targeted("restore", target, LdCommandKind.Action, VerySlow, ["--file", LdArguments.HostPath("file", file, ".ldbk")]);

    /// <summary>A guest action such as <c>call.shake</c> or <c>call.locate</c> (reference §2.3).</summary>
    public static LdConsoleCommand Action(EmulatorSelector target, string key, string value) =>
        Targeted("action", target, LdCommandKind.Action, Quick, ["--key", LdArguments.PropertyKey("key", key), "--value", LdArguments.Text("value", value, ParameterRules.MaxActionValueLength)]);

    /// <summary>Global settings; no emulator selector (several wrappers wrongly pass one).</summary>
    public static LdConsoleCommand GlobalSetting(int? fps = null, bool? audio = null, bool? fastPlay = null, bool? cleanMode = null)
    {
        var args = new List<string> { "globalsetting" };
        if (fps is { } f)
        {
            LdArguments.Check("fps", ParameterRules.Fps(f));
            args.AddRange(["--fps", LdArguments.Int(f)]);
        }

        if (audio is { } a)
        {
            args.AddRange(["--audio", LdArguments.Flag(a)]);
        }

        if (fastPlay is { } fp)
        {
            args.AddRange(["--fastplay", LdArguments.Flag(fp)]);
        }

        if (cleanMode is { } c)
        {
            args.AddRange(["--cleanmode", LdArguments.Flag(c)]);
        }

        if (args.Count == 1)
        {
            throw new LdArgumentException("settings", "name at least one global setting.");
        }

        return new("globalsetting", args, LdCommandKind.Action, Quick);
    }

    public static LdConsoleCommand SortWindows() => new("sortWnd", ["sortWnd"], LdCommandKind.Action, Quick);

    private static LdConsoleCommand Targeted(string name, EmulatorSelector target, LdCommandKind kind, TimeSpan timeout, IEnumerable<string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new(name, [name, .. target.ToArguments(), .. extra ?? []], kind, timeout) { Target = target };
    }
}
