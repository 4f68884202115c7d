namespace LdFleet.Protocol.Commands;

/// <summary>
/// The actions a relay can execute. Most are ldconsole command names; <see cref="WaitBooted"/> and
/// <see cref="WaitStopped"/>, <see cref="Status"/> and <see cref="Inventory"/> are relay-side compositions.
/// </summary>
public static class EmulatorActions
{
    public const string Launch = "launch";
    public const string LaunchEx = "launchex";
    public const string Quit = "quit";
    public const string QuitAll = "quitall";
    public const string Reboot = "reboot";
    public const string Add = "add";
    public const string Copy = "copy";
    public const string Remove = "remove";
    public const string Rename = "rename";
    public const string Modify = "modify";
    public const string InstallApp = "installapp";
    public const string UninstallApp = "uninstallapp";
    public const string RunApp = "runapp";
    public const string KillApp = "killapp";
    public const string Adb = "adb";
    public const string SetProp = "setprop";
    public const string GetProp = "getprop";
    public const string Locate = "locate";
    public const string DownCpu = "downcpu";
    public const string Backup = "backup";
    public const string Restore = "restore";
    public const string Action = "action";
    public const string GlobalSetting = "globalsetting";
    public const string SortWindows = "sortwnd";
    public const string WaitBooted = "waitbooted";
    public const string WaitStopped = "waitstopped";
    public const string Status = "status";
    public const string Inventory = "inventory";

    /// <summary>
    /// A relay-side diagnostic of the host itself (no emulator): can it be reached, is ldconsole there and which
    /// version, does list2 work, how many emulators, and how long each stage took. It runs even while the host's
    /// circuit is open (it is how an operator checks a sick host), and its success closes the circuit. The stages
    /// come back in <see cref="CommandResult.Data"/>; see <see cref="ConnectionTestData"/>.
    /// </summary>
    public const string TestConnection = "testconnection";

    /// <summary>
    /// Not an ldconsole action: asks the relay to stop the in-flight command named by the
    /// <see cref="CommandParameters.CommandId"/> parameter. The relay answers the cancelled command, not this one.
    /// </summary>
    public const string Cancel = "cancel";

    /// <summary>Actions that need no emulator index.</summary>
    public static IReadOnlySet<string> HostWide { get; } = new HashSet<string>(StringComparer.Ordinal) { QuitAll, Add, GlobalSetting, SortWindows, Inventory, TestConnection, Cancel };

    /// <summary>
    /// Actions that take long enough (seconds to minutes) for the relay to report when they start, so the cloud
    /// can tell a running step from one still queued. Short actions skip it: the report would cost more than it tells.
    /// </summary>
    public static IReadOnlySet<string> ReportsStart { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Add, Copy, InstallApp, Backup, Restore, WaitBooted, WaitStopped, Adb,
    };

    /// <summary>Every action this protocol version knows.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Launch, LaunchEx, Quit, QuitAll, Reboot, Add, Copy, Remove, Rename, Modify, InstallApp, UninstallApp, RunApp, KillApp,
        Adb, SetProp, GetProp, Locate, DownCpu, Backup, Restore, Action, GlobalSetting, SortWindows, WaitBooted, WaitStopped, Status,
        Inventory, TestConnection, Cancel,
    };
}

/// <summary>Names of <see cref="EmulatorCommand.Parameters"/> entries, shared by the cloud and the relay.</summary>
public static class CommandParameters
{
    public const string Name = "name";
    public const string Title = "title";
    public const string From = "from";
    public const string PackageName = "packageName";
    public const string ApkPath = "apkPath";
    public const string Command = "command";
    public const string Key = "key";
    public const string Value = "value";
    public const string Longitude = "longitude";
    public const string Latitude = "latitude";
    public const string Rate = "rate";
    public const string File = "file";
    public const string Resolution = "resolution";
    public const string Cpu = "cpu";
    public const string Memory = "memory";
    public const string Manufacturer = "manufacturer";
    public const string Model = "model";
    public const string PhoneNumber = "phoneNumber";
    public const string Imei = "imei";
    public const string Imsi = "imsi";
    public const string SimSerial = "simSerial";
    public const string AndroidId = "androidId";
    public const string Mac = "mac";
    public const string Root = "root";
    public const string AutoRotate = "autoRotate";
    public const string LockWindow = "lockWindow";
    public const string Fps = "fps";
    public const string Audio = "audio";
    public const string FastPlay = "fastPlay";
    public const string CleanMode = "cleanMode";
    public const string Timeout = "timeout";
    public const string CommandId = "commandId";
}
