using System.Globalization;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Validation;
using LdFleet.Relay.LdPlayer.Catalog;
using P = LdFleet.Protocol.Commands.CommandParameters;

namespace LdFleet.Relay.Execution;

/// <summary>
/// Translates a protocol command into a validated ldconsole invocation. Everything the cloud sent is checked
/// again here: the relay is the last line before a process starts on someone's PC.
/// </summary>
internal static class CommandMapper
{
    /// <summary>Builds the invocation, or throws <see cref="LdArgumentException"/> naming the bad parameter.</summary>
    public static LdConsoleCommand Map(EmulatorCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);

        // The rules the API applied at the door, again for every parameter the command carries: a sender that skipped
        // them (another cloud version, a message put on the queue by hand) is refused here before any process starts.
        foreach (var (name, value) in command.Parameters)
        {
            LdArguments.Check(name, ParameterRules.Check(name, value, command.Action));
        }

        var p = new Params(command.Parameters);
        EmulatorSelector Target() => command.Index is { } index ? EmulatorSelector.ByIndex(index) : throw new LdArgumentException("index", "is required for this action.");

        return command.Action switch
        {
            EmulatorActions.Launch => LdConsoleCommands.Launch(Target()),
            EmulatorActions.LaunchEx => LdConsoleCommands.LaunchEx(Target(), p.Required(P.PackageName)),
            EmulatorActions.Quit => LdConsoleCommands.Quit(Target()),
            EmulatorActions.QuitAll => LdConsoleCommands.QuitAll(),
            EmulatorActions.Reboot => LdConsoleCommands.Reboot(Target()),
            EmulatorActions.Add => LdConsoleCommands.Add(p.Optional(P.Title)),
            EmulatorActions.Copy => LdConsoleCommands.Copy(Target(), p.Optional(P.Title)),
            EmulatorActions.Remove => LdConsoleCommands.Remove(Target()),
            EmulatorActions.Rename => LdConsoleCommands.Rename(Target(), p.Required(P.Title)),
            EmulatorActions.Modify => LdConsoleCommands.Modify(Target(), ModifyFrom(p)),
            EmulatorActions.InstallApp => p.Optional(P.ApkPath) is { } apk
                ? LdConsoleCommands.InstallApp(Target(), apk)
                : LdConsoleCommands.InstallAppFromStore(Target(), p.Required(P.PackageName)),
            EmulatorActions.UninstallApp => LdConsoleCommands.UninstallApp(Target(), p.Required(P.PackageName)),
            EmulatorActions.RunApp => LdConsoleCommands.RunApp(Target(), p.Required(P.PackageName)),
            EmulatorActions.KillApp => LdConsoleCommands.KillApp(Target(), p.Required(P.PackageName)),
            EmulatorActions.Adb => LdConsoleCommands.Adb(Target(), p.Required(P.Command), command.ExecutionTimeout),
            EmulatorActions.SetProp => LdConsoleCommands.SetProp(Target(), p.Required(P.Key), p.Required(P.Value)),
            EmulatorActions.GetProp => LdConsoleCommands.GetProp(Target(), p.Optional(P.Key)),
            EmulatorActions.Locate => LdConsoleCommands.Locate(Target(), p.Double(P.Longitude) ?? throw Missing(P.Longitude), p.Double(P.Latitude) ?? throw Missing(P.Latitude)),
            EmulatorActions.DownCpu => LdConsoleCommands.DownCpu(Target(), p.Int(P.Rate) ?? throw Missing(P.Rate)),
            EmulatorActions.Backup => LdConsoleCommands.Backup(Target(), p.Required(P.File)),
            EmulatorActions.Restore => LdConsoleCommands.Restore(Target(), p.Required(P.File)),
            EmulatorActions.Action => LdConsoleCommands.Action(Target(), p.Required(P.Key), p.Required(P.Value)),
            EmulatorActions.GlobalSetting => LdConsoleCommands.GlobalSetting(p.Int(P.Fps), p.Bool(P.Audio), p.Bool(P.FastPlay), p.Bool(P.CleanMode)),
            EmulatorActions.SortWindows => LdConsoleCommands.SortWindows(),
            _ => throw new LdArgumentException("action", $"'{command.Action}' is not an ldconsole action."),
        };
    }

    private static ModifySettings ModifyFrom(Params p) => new()
    {
        Resolution = p.Optional(P.Resolution) is { } r ? ParseResolution(r) : null,
        Cpu = p.Int(P.Cpu),
        Memory = p.Int(P.Memory),
        Manufacturer = p.Optional(P.Manufacturer),
        Model = p.Optional(P.Model),
        PhoneNumber = p.Optional(P.PhoneNumber),
        Imei = p.Optional(P.Imei),
        Imsi = p.Optional(P.Imsi),
        SimSerial = p.Optional(P.SimSerial),
        AndroidId = p.Optional(P.AndroidId),
        Mac = p.Optional(P.Mac),
        Root = p.Bool(P.Root),
        AutoRotate = p.Bool(P.AutoRotate),
        LockWindow = p.Bool(P.LockWindow),
    };

    private static Resolution ParseResolution(string value)
    {
        var parts = value.Split(',');
        return parts.Length == 3 && parts.All(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            ? new Resolution(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture))
            : throw new LdArgumentException(P.Resolution, "must be width,height,dpi, e.g. 1280,720,240.");
    }

    private static LdArgumentException Missing(string name) => new(name, "is required.");

    private readonly struct Params(IReadOnlyDictionary<string, string> values)
    {
        public string? Optional(string name) => values.TryGetValue(name, out var value) ? value : null;

        public string Required(string name) => Optional(name) ?? throw Missing(name);

        public int? Int(string name) => Optional(name) is not { } value ? null
            : int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i
            : throw new LdArgumentException(name, "must be a whole number.");

        public double? Double(string name) => Optional(name) is not { } value ? null
            : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new LdArgumentException(name, "must be a number.");

        public bool? Bool(string name) => Optional(name) is not { } value ? null
            : ParameterRules.ParseBool(value) ?? throw new LdArgumentException(name, "must be true or false.");
    }
}
