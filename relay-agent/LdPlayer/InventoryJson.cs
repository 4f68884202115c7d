using System.Text.Encodings.Web;
using System.Text.Json;
using LdFleet.Protocol.Commands;

namespace LdFleet.Relay.LdPlayer;

/// <summary>Turns list2 rows into the inventory shape the cloud and operators read.</summary>
internal static class InventoryJson
{
    // Printed to a terminal or a log, never embedded in HTML: Chinese titles stay readable instead of becoming \uXXXX.
    // (Characters outside the Basic Multilingual Plane, such as emoji, are still escaped by System.Text.Json.)
    private static readonly JsonSerializerOptions Indented = new(ProtocolJson.Options) { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static InventoryReport Report(string siteId, string hostId, DateTimeOffset observedAt, IReadOnlyList<EmulatorInfo>? emulators, string? error) => new()
    {
        SiteId = siteId,
        HostId = hostId,
        ObservedAt = observedAt,
        Error = emulators is null ? error ?? "list2 could not be read." : null,
        Emulators = (emulators ?? []).Select(e => new InventoryEmulator
        {
            Index = e.Index,
            Title = e.Title,
            State = e.IsAndroidStarted ? "running" : e.IsStarted ? "starting" : "stopped",
            PlayerPid = e.PlayerProcessId,
            VmPid = e.VmProcessId,
            Width = e.Width,
            Height = e.Height,
            Dpi = e.Dpi,
        }).ToArray(),
    };

    public static string Serialize(IEnumerable<InventoryReport> reports) => JsonSerializer.Serialize(reports, Indented);

    public static string Serialize(InventoryReport report) => JsonSerializer.Serialize(report, Indented);
}
