using System.Text.Json;
using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Json;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary>
/// <c>backup</c>/<c>restore --file x.ldbk</c>. A simulator backup is a JSON document holding the
/// instance config, installed packages and props. The file must end in <c>.ldbk</c> (CN doc comment);
/// otherwise, or when the restore file is missing/unreadable: <c>parameter error!</c>, −5.
/// </summary>
internal static class BackupCommands
{
    private const string Extension = ".ldbk";
    private const string Format = "ldsim-backup/1";

    public static int Backup(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "backup");
        }

        if (BackupPath(context) is not { } file)
        {
            return Replies.ParameterError(context);
        }

        var document = new JsonObject
        {
            ["format"] = Format,
            ["profile"] = context.Profile.Kind.ToString(),
            ["index"] = instance.Index,
            ["config"] = instance.Config.DeepClone(),
            ["packages"] = new JsonArray([.. instance.Runtime.Packages.Select(p => (JsonNode?)JsonValue.Create(p))]),
            ["props"] = new JsonObject([.. instance.Runtime.Props.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))]),
        };
        context.World.Install.WriteExternalFile(file, SimJson.Serialize(document, indented: true, relaxedEscaping: true));
        return ExitCodes.Success;
    }

    /// <summary>
    /// Replaces config, packages and props with the backup's. The target keeps its own title so it
    /// stays addressable by name; a running target is stopped first (its disks are being replaced).
    /// </summary>
    public static int Restore(CommandContext context)
    {
        var instance = InstanceSelector.Resolve(context);
        if (instance is null)
        {
            return Replies.MissingInstance(context, "restore");
        }

        if (BackupPath(context) is not { } file || !File.Exists(file) || Read(file) is not { } document
            || document["config"] is not JsonObject config)
        {
            return Replies.ParameterError(context);
        }

        var restored = (JsonObject)config.DeepClone();
        restored[ConfigKeys.PlayerName] = instance.Title;
        context.World.SaveConfig(instance.Index, restored);

        var runtime = instance.Runtime;
        SimWorld.Stop(runtime);
        runtime.Packages.Clear();
        if (document["packages"] is JsonArray packages)
        {
            runtime.Packages.AddRange(packages.Select(p => p?.GetValue<string>()).OfType<string>());
        }

        runtime.Props.Clear();
        if (document["props"] is JsonObject props)
        {
            foreach (var (key, value) in props)
            {
                if (value is JsonValue text && text.TryGetValue<string>(out var s))
                {
                    runtime.Props[key] = s;
                }
            }
        }

        return ExitCodes.Success;
    }

    private static string? BackupPath(CommandContext context) =>
        context.Args.Get("file") is { Length: > 0 } file && file.EndsWith(Extension, StringComparison.OrdinalIgnoreCase)
            ? Path.GetFullPath(file)
            : null;

    private static JsonObject? Read(string file)
    {
        try
        {
            var document = SimJson.ParseObject(File.ReadAllBytes(file));
            return document["format"]?.GetValue<string>() == Format ? document : null;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
