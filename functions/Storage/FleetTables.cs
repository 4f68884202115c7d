namespace LdFleet.Functions.Storage;

/// <summary>The tables the cloud app owns.</summary>
internal static class FleetTables
{
    public const string Operations = "operations";
    public const string Relays = "relays";
    public const string Emulators = "emulators";
    public const string Batches = "batches";

    /// <summary>Registered sites (one partition) and their hosts (one partition per site).</summary>
    public const string Sites = "sites";

    /// <summary>Every mutating API call, partitioned by UTC day.</summary>
    public const string Audit = "audit";

    /// <summary>Idempotency-Key records, partitioned by caller.</summary>
    public const string Idempotency = "idempotency";

    /// <summary>Uploaded APKs, keyed by content hash.</summary>
    public const string Apps = "apps";

    /// <summary>Which operation holds each emulator and which wait for it (one partition per emulator).</summary>
    public const string EmulatorLocks = "emulatorlocks";

    public static IReadOnlyList<string> All { get; } = [Operations, Relays, Emulators, Batches, Sites, Audit, Idempotency, Apps, EmulatorLocks];
}
