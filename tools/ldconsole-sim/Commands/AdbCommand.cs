using System.Globalization;
using System.Text;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary>
/// <c>adb sel --command "..."</c> (§2.3, §3.4). Exit code is always 0: ldconsole erases adb's own.
/// Understood shell commands: <c>getprop [key]</c>, <c>echo ...</c>, <c>pm list packages [-3]</c>,
/// <c>pidof pkg</c>, <c>am force-stop pkg</c>, <c>monkey -p pkg ...</c>; anything else produces no output.
/// </summary>
internal static class AdbCommand
{
    public static int Run(CommandContext context)
    {
        if (AppCommands.ReadyInstance(context, "adb", out var instance) is { } early)
        {
            return early;
        }

        var tokens = Tokenize(context.Args.Get("command") ?? string.Empty);
        if (tokens.Count < 2 || !string.Equals(tokens[0], "shell", StringComparison.Ordinal))
        {
            return ExitCodes.Success;
        }

        var lines = Shell(context.World, instance!, tokens.Skip(1).ToList());
        foreach (var line in lines)
        {
            context.Out.Write(line + context.Profile.AdbLineEnding);
        }

        return ExitCodes.Success;
    }

    private static List<string> Shell(SimWorld world, Instance instance, List<string> argv)
    {
        switch (argv[0])
        {
            case "getprop":
                var props = Guest.Properties(world, instance);
                if (argv.Count > 1)
                {
                    return [props.TryGetValue(argv[1], out var value) ? value : string.Empty];
                }

                return [.. props.Select(pair => "[" + pair.Key + "]: [" + pair.Value + "]")];
            case "echo":
                return [string.Join(' ', argv.Skip(1))];
            case "pm" when argv.Count >= 3 && argv[1] == "list" && argv[2] == "packages":
                var thirdPartyOnly = argv.Contains("-3");
                var packages = thirdPartyOnly ? instance.Runtime.Packages : [.. Guest.SystemPackages, .. instance.Runtime.Packages];
                return [.. packages.Select(package => "package:" + package)];
            case "pidof" when argv.Count > 1:
                // A plausible guest PID per running app, derived from the player PID.
                var position = IndexOf(world.RunningApps(instance), argv[1]);
                return position < 0 ? [] : [(instance.Runtime.PlayerPid + 1000 + (position * 4)).ToString(CultureInfo.InvariantCulture)];
            case "am" when argv.Count > 2 && argv[1] == "force-stop":
                AppCommands.StopApp(instance.Runtime, argv[2]);
                return [];
            case "monkey":
                var flag = argv.IndexOf("-p");
                if (flag >= 0 && flag + 1 < argv.Count && Guest.IsInstalled(instance, argv[flag + 1])
                    && !instance.Runtime.RunningApps.Contains(argv[flag + 1]))
                {
                    instance.Runtime.RunningApps.Add(argv[flag + 1]);
                }

                return [];
            default:
                return [];
        }
    }

    private static int IndexOf(IReadOnlyList<string> items, string item)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] == item)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whitespace split honouring single and double quotes, like the guest shell would.</summary>
    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var inToken = false;
        char? quote = null;
        foreach (var c in text)
        {
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inToken = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inToken)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                    inToken = false;
                }
            }
            else
            {
                current.Append(c);
                inToken = true;
            }
        }

        if (inToken)
        {
            tokens.Add(current.ToString());
        }

        return tokens;
    }
}
