using System.Text.Json;

namespace LdFleet.Relay.LdPlayer;

/// <summary>The inventory shape operators and the cloud read: one host's emulators as list2 reports them.</summary>
internal static class InventoryJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Serialize(string hostId, IReadOnlyList<EmulatorInfo> emulators) =>
        JsonSerializer.Serialize(ToHost(hostId, emulators), Options);

    public static string Serialize(IEnumerable<InventoryHost> hosts) => JsonSerializer.Serialize(hosts, Options);

    public static InventoryHost ToHost(string hostId, IReadOnlyList<EmulatorInfo> emulators) => new(
        hostId,
        emulators.Select(e => new InventoryEmulator(
            e.Index,
            e.Title,
            e.IsAndroidStarted ? "running" : e.IsStarted ? "starting" : "stopped",
            e.PlayerProcessId,
            e.VmProcessId,
            e.Width is { } w ? new InventoryResolution(w, e.Height!.Value, e.Dpi!.Value) : null)).ToArray(),
        null);
}

internal sealed record InventoryHost(string HostId, IReadOnlyList<InventoryEmulator> Emulators, string? Error);

internal sealed record InventoryEmulator(int Index, string Title, string State, int PlayerPid, int VmPid, InventoryResolution? Resolution);

internal sealed record InventoryResolution(int Width, int Height, int Dpi);
