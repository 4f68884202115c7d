using System.Globalization;
using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary><c>add</c>, <c>copy</c>, <c>remove</c>, <c>rename</c> (§2.3 Instance management, §4.2).</summary>
internal static class ManagementCommands
{
    /// <summary>Exit code = new index (max + 1), no output. Title defaults to <c>prefix-N</c>.</summary>
    public static int Add(CommandContext context)
    {
        var world = context.World;
        var index = world.NextIndex();
        var title = context.Args.Get("name") is { Length: > 0 } name ? name : world.DefaultTitle(index);
        world.SaveConfig(index, InstanceConfigFactory.CreateMinimal(title));
        world.Install.CreateInstanceDir(index, copyFrom: null);
        world.ResetRuntime(index);
        return index;
    }

    /// <summary>
    /// Clones config, VM folder, installed packages and props; works while the source runs (LD14).
    /// Exit code = new index. Default title <c>&lt;source title&gt;-&lt;new index&gt;</c>, matching
    /// the observed <c>雷电模拟器-1-2</c>.
    /// </summary>
    public static int Copy(CommandContext context)
    {
        var world = context.World;
        var source = InstanceSelector.ResolveFrom(world, context.Args.Get("from"));
        if (source is null)
        {
            return Replies.MissingInstance(context, "copy");
        }

        var index = world.NextIndex();
        var title = context.Args.Get("name") is { Length: > 0 } name
            ? name
            : source.Title + "-" + index.ToString(CultureInfo.InvariantCulture);
        var config = (JsonObject)source.Config.DeepClone();
        config[ConfigKeys.PlayerName] = title;
        world.SaveConfig(index, config);
        world.Install.CreateInstanceDir(index, copyFrom: source.Index);
        var runtime = world.ResetRuntime(index);
        runtime.Packages.AddRange(source.Runtime.Packages);
        foreach (var (key, value) in source.Runtime.Props)
        {
            runtime.Props[key] = value;
        }

        return index;
    }

    /// <summary>
    /// Deletes config and VM folder; the index stays a hole (§4.2). Behaviour on a running instance
    /// is untested on real machines (§4.5); the simulator stops it first, then removes it.
    /// </summary>
    public static int Remove(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "remove");
        }

        context.World.Install.DeleteInstance(instance.Index);
        context.World.State.Instances.Remove(instance.Index);
        return ExitCodes.Success;
    }

    /// <summary><c>rename sel --title new</c>; without <c>--title</c> nothing changes (rc 0).</summary>
    public static int Rename(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context, nameMayBeIndex: true);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "rename");
        }

        if (context.Args.Get("title") is { Length: > 0 } title)
        {
            instance.Config[ConfigKeys.PlayerName] = title;
            context.World.SaveConfig(instance);
        }

        return ExitCodes.Success;
    }
}
