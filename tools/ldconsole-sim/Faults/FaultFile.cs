namespace LdFleet.LdConsoleSim.Faults;

/// <summary><c>sim/faults.json</c>, edited by <c>sim:fault</c>.</summary>
internal sealed class FaultFile
{
    public List<FaultEntry> Faults { get; set; } = [];
}

internal sealed class FaultEntry
{
    /// <summary>hang, crash, garbage, slow-boot, session0, empty-list2.</summary>
    public string Kind { get; set; } = string.Empty;

    /// <summary>Only calls of this ldconsole command (case-insensitive) are hit; null = every command the kind applies to.</summary>
    public string? Command { get; set; }

    /// <summary>How many more times it fires before removing itself; null = until <c>sim:fault --clear</c>.</summary>
    public int? Remaining { get; set; }
}
