using System.Text.Json;
using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Json;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Faults;

/// <summary>Reads/writes <c>sim/faults.json</c>. Callers hold the <see cref="SimLock"/> so counted faults decrement exactly once per call.</summary>
internal static class FaultStore
{
    public const string EnvironmentVariable = "LDSIM_FAULT";

    /// <summary>Hand-mapped from the JSON DOM for the same startup reason as settings.json.</summary>
    public static FaultFile Load(SimPaths paths)
    {
        var bytes = AtomicFile.TryReadAllBytes(paths.Faults);
        var file = new FaultFile();
        if (bytes is null)
        {
            return file;
        }

        try
        {
            if (SimJson.ParseObject(bytes)["faults"] is JsonArray faults)
            {
                foreach (var node in faults)
                {
                    if (node is JsonObject entry)
                    {
                        file.Faults.Add(new FaultEntry
                        {
                            Kind = JsonRead.String(entry, "kind") ?? string.Empty,
                            Command = JsonRead.String(entry, "command"),
                            Remaining = JsonRead.Int(entry, "remaining"),
                        });
                    }
                }
            }

            return file;
        }
        catch (JsonException ex)
        {
            throw new SimUsageException("invalid " + paths.Faults + ": " + ex.Message, ex);
        }
    }

    public static void Save(SimPaths paths, FaultFile file)
    {
        var faults = new JsonArray();
        foreach (var entry in file.Faults)
        {
            faults.Add((JsonNode)new JsonObject
            {
                ["kind"] = entry.Kind,
                ["command"] = entry.Command,
                ["remaining"] = entry.Remaining,
            });
        }

        AtomicFile.WriteAllBytes(paths.Faults, SimJson.Serialize(new JsonObject { ["faults"] = faults }, indented: true));
    }

    public static void Clear(SimPaths paths) => File.Delete(paths.Faults);

    /// <summary><c>LDSIM_FAULT=kind[:command][,kind[:command]...]</c>; these never run out.</summary>
    public static IReadOnlyList<FaultEntry> FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var entries = new List<FaultEntry>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            var kind = colon < 0 ? part : part[..colon];
            var command = colon < 0 ? null : part[(colon + 1)..];
            entries.Add(new FaultEntry
            {
                Kind = FaultNames.Format(FaultNames.Parse(kind)),
                Command = string.IsNullOrEmpty(command) ? null : command,
            });
        }

        return entries;
    }
}
