using System.Globalization;
using Azure;
using Azure.Data.Tables;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Inventory;

/// <summary>A relay's last heartbeat as the cloud saw it.</summary>
internal sealed record RelayStatus(string SiteId, string InstanceId, string Version, DateTimeOffset StartedAt, DateTimeOffset LastHeartbeat, IReadOnlyList<string> HostIds, int CommandsInFlight);

/// <summary>One emulator as the last inventory report described it.</summary>
internal sealed record EmulatorRecord(string SiteId, string HostId, int Index, string Title, string State, int PlayerPid, int VmPid, int? Width, int? Height, int? Dpi, DateTimeOffset ObservedAt);

/// <summary>
/// Relay status and emulator inventory in Azure Tables. Emulators are partitioned by site (one query lists a
/// site); relay status rows share one small partition (one row per site).
/// </summary>
internal sealed class InventoryStore
{
    private const string RelayPartition = "relay";

    // Host marker rows ("{hostId}") sort before the host's emulator rows ("{hostId}|000001"); '}' sorts after '|'.
    private const char EmulatorSeparator = '|';
    private const char AfterSeparator = '}';

    private readonly TableClient _relays;
    private readonly TableClient _emulators;

    public InventoryStore(TableServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _relays = service.GetTableClient(FleetTables.Relays);
        _emulators = service.GetTableClient(FleetTables.Emulators);
    }

    public Task RecordHeartbeatAsync(RelayHeartbeat heartbeat, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);

        // Stamped with the cloud's clock: a relay whose clock is wrong must not look online (or offline) for it.
        var entity = new TableEntity(RelayPartition, heartbeat.SiteId)
        {
            ["InstanceId"] = heartbeat.InstanceId,
            ["Version"] = heartbeat.Version,
            ["StartedAt"] = heartbeat.StartedAt,
            ["LastHeartbeat"] = receivedAt,
            ["RelayClock"] = heartbeat.SentAt,
            ["HostIds"] = string.Join(',', heartbeat.HostIds),
            ["CommandsInFlight"] = heartbeat.CommandsInFlight,
        };
        return _relays.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<RelayStatus?> GetRelayAsync(string siteId, CancellationToken cancellationToken)
    {
        var response = await _relays.GetEntityIfExistsAsync<TableEntity>(RelayPartition, siteId, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return null;
        }

        var e = response.Value!;
        return new RelayStatus(
            siteId,
            e.GetString("InstanceId") ?? "",
            e.GetString("Version") ?? "",
            e.GetDateTimeOffset("StartedAt") ?? default,
            e.GetDateTimeOffset("LastHeartbeat") ?? default,
            (e.GetString("HostIds") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries),
            e.GetInt32("CommandsInFlight") ?? 0);
    }

    /// <summary>
    /// Replaces a host's emulators with what the report lists. Reports can arrive out of order; one older than
    /// the last applied for the host is ignored. Returns false when ignored.
    /// </summary>
    public async Task<bool> ApplyInventoryAsync(InventoryReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Error is not null)
        {
            return false;
        }

        var marker = await _emulators.GetEntityIfExistsAsync<TableEntity>(report.SiteId, report.HostId, cancellationToken: cancellationToken);
        if (marker.HasValue && marker.Value!.GetDateTimeOffset("ObservedAt") >= report.ObservedAt)
        {
            return false;
        }

        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var emulator in report.Emulators)
        {
            var rowKey = RowKey(report.HostId, emulator.Index);
            listed.Add(rowKey);
            await _emulators.UpsertEntityAsync(new TableEntity(report.SiteId, rowKey)
            {
                ["HostId"] = report.HostId,
                ["Index"] = emulator.Index,
                ["Title"] = emulator.Title,
                ["State"] = emulator.State,
                ["PlayerPid"] = emulator.PlayerPid,
                ["VmPid"] = emulator.VmPid,
                ["Width"] = emulator.Width,
                ["Height"] = emulator.Height,
                ["Dpi"] = emulator.Dpi,
                ["ObservedAt"] = report.ObservedAt,
            }, TableUpdateMode.Replace, cancellationToken);
        }

        await foreach (var stale in _emulators.QueryAsync<TableEntity>(HostFilter(report.SiteId, report.HostId), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            if (!listed.Contains(stale.RowKey))
            {
                // ETag.All: the row is gone from the host, whatever was written to it since.
                await _emulators.DeleteEntityAsync(report.SiteId, stale.RowKey, ETag.All, cancellationToken);
            }
        }

        var hostRow = new TableEntity(report.SiteId, report.HostId) { ["ObservedAt"] = report.ObservedAt };
        if (marker.HasValue)
        {
            // Conditional, so two reports for one host applied at once cannot move the marker backwards.
            await _emulators.UpdateEntityAsync(hostRow, marker.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
        }
        else
        {
            await _emulators.UpsertEntityAsync(hostRow, TableUpdateMode.Replace, cancellationToken);
        }

        return true;
    }

    public async Task<IReadOnlyList<EmulatorRecord>> ListEmulatorsAsync(string siteId, string? hostId, CancellationToken cancellationToken)
    {
        var filter = hostId is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {siteId}")
            : HostFilter(siteId, hostId);
        var list = new List<EmulatorRecord>();
        await foreach (var e in _emulators.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (!e.RowKey.Contains(EmulatorSeparator, StringComparison.Ordinal))
            {
                continue;
            }

            list.Add(new EmulatorRecord(
                siteId,
                e.GetString("HostId"),
                e.GetInt32("Index") ?? -1,
                e.GetString("Title") ?? "",
                e.GetString("State") ?? "",
                e.GetInt32("PlayerPid") ?? -1,
                e.GetInt32("VmPid") ?? -1,
                e.GetInt32("Width"),
                e.GetInt32("Height"),
                e.GetInt32("Dpi"),
                e.GetDateTimeOffset("ObservedAt") ?? default));
        }

        return list;
    }

    private static string RowKey(string hostId, int index) => string.Create(CultureInfo.InvariantCulture, $"{hostId}{EmulatorSeparator}{index:D6}");

    private static string HostFilter(string siteId, string hostId) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {siteId} and RowKey gt {hostId + EmulatorSeparator} and RowKey lt {hostId + AfterSeparator}");
}
