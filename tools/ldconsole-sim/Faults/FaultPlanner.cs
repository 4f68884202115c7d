using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Faults;

/// <summary>Decides which faults fire for one ldconsole call and consumes their counts.</summary>
internal static class FaultPlanner
{
    public static ActiveFaults Plan(SimPaths paths, string command)
    {
        var normalized = command.ToLowerInvariant();
        var file = FaultStore.Load(paths);
        var candidates = new List<(FaultEntry Entry, FaultKind Kind, bool Persisted)>();
        foreach (var entry in file.Faults)
        {
            AddIfMatching(candidates, entry, normalized, persisted: true);
        }

        foreach (var entry in FaultStore.FromEnvironment())
        {
            AddIfMatching(candidates, entry, normalized, persisted: false);
        }

        if (candidates.Count == 0)
        {
            return ActiveFaults.None;
        }

        // Precedence hang > crash > garbage. Only the winning take-over fires (and is counted);
        // behavioural faults also fire unless the command does not run at all (hang, garbage).
        FaultKind? takeover = candidates.Any(c => c.Kind == FaultKind.Hang) ? FaultKind.Hang
            : candidates.Any(c => c.Kind == FaultKind.Crash) ? FaultKind.Crash
            : candidates.Any(c => c.Kind == FaultKind.Garbage) ? FaultKind.Garbage
            : null;
        var commandRuns = takeover is null or FaultKind.Crash;
        var fired = new HashSet<FaultKind>();
        var changed = false;
        foreach (var (entry, kind, persisted) in candidates)
        {
            var fires = IsTakeover(kind) ? kind == takeover : commandRuns;
            if (!fires)
            {
                continue;
            }

            fired.Add(kind);
            if (persisted && entry.Remaining is { } remaining)
            {
                entry.Remaining = remaining - 1;
                changed = true;
            }
        }

        if (changed)
        {
            file.Faults.RemoveAll(entry => entry.Remaining <= 0);
            FaultStore.Save(paths, file);
        }

        return new ActiveFaults(takeover, fired);
    }

    private static void AddIfMatching(List<(FaultEntry, FaultKind, bool)> candidates, FaultEntry entry, string command, bool persisted)
    {
        if (FaultNames.TryParse(entry.Kind) is not { } kind || entry.Remaining <= 0)
        {
            return;
        }

        if (entry.Command is { } only && !string.Equals(only, command, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (FaultNames.AppliesTo(kind, command))
        {
            candidates.Add((entry, kind, persisted));
        }
    }

    private static bool IsTakeover(FaultKind kind) => kind is FaultKind.Hang or FaultKind.Crash or FaultKind.Garbage;
}
