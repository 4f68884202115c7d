namespace LdFleet.Functions.Storage;

/// <summary>The tables the cloud app owns.</summary>
internal static class FleetTables
{
    public const string Operations = "operations";
    public const string Relays = "relays";
    public const string Emulators = "emulators";
    public const string Deadlines = "deadlines";
    public const string Batches = "batches";

    public static IReadOnlyList<string> All { get; } = [Operations, Relays, Emulators, Deadlines, Batches];
}
