using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Cli;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary><c>globalsetting</c> and the window commands (§2.3 Global).</summary>
internal static class GlobalCommands
{
    /// <summary>
    /// Writes <c>vms/config/leidians.config</c>: <c>--fps</c> → framesPerSecond (0..60),
    /// <c>--audio</c> → reduceAudio (inverted: audio 0 means reduced), <c>--fastplay</c> → fastPlay,
    /// <c>--cleanmode</c> → cleanMode. Only framesPerSecond/reduceAudio are attested key names.
    /// No instance selector (wrappers passing one are just ignored).
    /// </summary>
    public static int GlobalSetting(CommandContext context)
    {
        var args = context.Args;
        var changes = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        if (args.Get("fps") is not null)
        {
            if (args.GetInt("fps") is not { } fps || fps > 60)
            {
                return Replies.ParameterError(context);
            }

            changes["framesPerSecond"] = fps;
        }

        if (!Flag(args.Get("audio"), "reduceAudio", inverted: true, changes)
            || !Flag(args.Get("fastplay"), "fastPlay", inverted: false, changes)
            || !Flag(args.Get("cleanmode"), "cleanMode", inverted: false, changes))
        {
            return Replies.ParameterError(context);
        }

        if (changes.Count > 0)
        {
            var global = context.World.Install.Global();
            foreach (var (key, value) in changes)
            {
                global[key] = value;
            }

            context.World.Install.SaveGlobal(global);
        }

        return ExitCodes.Success;
    }

    /// <summary><c>sortWnd</c>, <c>zoomIn</c>, <c>zoomOut</c>, <c>rock</c>: there are no windows to arrange.</summary>
    public static int NoOp(CommandContext context) => ExitCodes.Success;

    private static bool Flag(string? value, string key, bool inverted, Dictionary<string, JsonNode> changes)
    {
        switch (value)
        {
            case null:
                return true;
            case "1" or "0":
                changes[key] = (value == "1") != inverted;
                return true;
            default:
                return false;
        }
    }
}
