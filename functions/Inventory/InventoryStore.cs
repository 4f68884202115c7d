using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using LdFleet.Functions.Api;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Inventory;

/// <summary>A relay's last heartbeat as the cloud saw it.</summary>
internal sealed record RelayStatus(string SiteId, string InstanceId, string Version, DateTimeOffset StartedAt, DateTimeOffset LastHeartbeat, IReadOnlyList<string> HostIds, int CommandsInFlight)
{
    /// <summary>How long the relay had run when it sent the heartbeat; null from relays that do not report it.</summary>
    public TimeSpan? Uptime { get; init; }

    /// <summary>Each host's circuit breaker as the relay reported it; empty from relays that do not report them.</summary>
    public IReadOnlyList<HostCircuit> Circuits { get; init; } = [];
}

/// <summary>One emulator as the last inventory report described it, with the labels users gave it.</summary>
internal sealed record EmulatorRecord(string SiteId, string HostId, int Index, string Title, string State, int PlayerPid, int VmPid, int? Width, int? Height, int? Dpi, DateTimeOffset ObservedAt)
{
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>What the last inventory report of a host said about the host itself.</summary>
internal sealed record HostObservation(string SiteId, string HostId, DateTimeOffset? ObservedAt, int EmulatorCount, string? LastError, DateTimeOffset? LastErrorAt);

/// <summary>
/// A selector over the inventory. Site, host, state and labels are filtered by the table service; the name
/// pattern is applied to what comes back. Without a site the query spans partitions.
/// </summary>
internal sealed record EmulatorQuery
{
    public string? SiteId { get; init; }

    public string? HostId { get; init; }

    /// <summary><c>stopped</c>, <c>starting</c> or <c>running</c>.</summary>
    public string? State { get; init; }

    /// <summary>Every label listed must be present with that value.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public NamePattern? Name { get; init; }
}

/// <summary>
/// Relay status and emulator inventory in Azure Tables. Emulators are partitioned by site (one query lists a
/// site, one entity-group transaction writes up to 100 of a site's rows); relay status rows share one small
/// partition (one row per site). Each host also has a marker row (row key = host id) recording its last report.
/// </summary>
internal sealed class InventoryStore
{
    public const string PagingScope = "emulators";

    /// <summary>Operations per entity-group transaction (the service's limit; Azurite mis-answers beyond it).</summary>
    public const int MaxTransaction = 100;

    private const string RelayPartition = "relay";
    private const int MaxCircuits = 200;
    private const int MaxCircuitError = 500;
    private const string HostKind = "host";
    private const int MaxConflictRetries = 5;

    // Host marker rows ("{hostId}") sort before the host's emulator rows ("{hostId}|000001"); '}' sorts after '|'.
    private const char EmulatorSeparator = '|';
    private const char AfterSeparator = '}';

    // The properties a report owns; everything else on an emulator row (labels) belongs to users and survives reports.
    private static readonly string[] ReportedProperties = ["HostId", "Index", "Title", "TitleKey", "State", "PlayerPid", "VmPid", "Width", "Height", "Dpi", "ObservedAt"];

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
            ["UptimeTicks"] = heartbeat.Uptime?.Ticks,
            ["Circuits"] = heartbeat.Circuits is { Count: > 0 } circuits ? CircuitsJson(circuits) : null,
        };
        return _relays.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>
    /// The circuits as one JSON property of the relay's row, where the site's other relay status lives (one read per
    /// site listing). Error texts are shortened so a site with many sick hosts stays far below the 64 KiB property limit.
    /// </summary>
    private static string CircuitsJson(IReadOnlyList<HostCircuit> circuits) =>
        JsonSerializer.Serialize(circuits.Take(MaxCircuits).Select(c => c with { LastError = c.LastError is { Length: > MaxCircuitError } e ? e[..MaxCircuitError] + "…" : c.LastError }), ProtocolJson.Options);

    public async Task<RelayStatus?> GetRelayAsync(string siteId, CancellationToken cancellationToken)
    {
        var response = await _relays.GetEntityIfExistsAsync<TableEntity>(RelayPartition, siteId, cancellationToken: cancellationToken);
        return response.HasValue ? ToRelay(response.Value!) : null;
    }

    /// <summary>Every relay that ever reported, keyed by site.</summary>
    public async Task<IReadOnlyDictionary<string, RelayStatus>> ListRelaysAsync(CancellationToken cancellationToken)
    {
        var relays = new Dictionary<string, RelayStatus>(StringComparer.Ordinal);
        await foreach (var e in _relays.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {RelayPartition}"), cancellationToken: cancellationToken))
        {
            relays[e.RowKey] = ToRelay(e);
        }

        return relays;
    }

    /// <summary>
    /// Applies a host's report: reported fields are merged into each listed emulator's row (labels stay),
    /// emulators no longer listed are deleted, and the host marker moves to the report's time, all in
    /// entity-group transactions of up to 100 rows. A host with fewer than 100 changes is updated atomically;
    /// the marker goes last, conditional on the version read, so two reports applied at once cannot both win.
    /// A report older than the last applied for the host is ignored (returns false).
    /// </summary>
    public async Task<bool> ApplyInventoryAsync(InventoryReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var marker = await _emulators.GetEntityIfExistsAsync<TableEntity>(report.SiteId, report.HostId, cancellationToken: cancellationToken);
        if (report.Error is not null)
        {
            await RecordHostErrorAsync(report, marker.HasValue ? marker.Value : null, cancellationToken);
            return false;
        }

        if (marker.HasValue && marker.Value!.GetDateTimeOffset("ObservedAt") >= report.ObservedAt)
        {
            return false;
        }

        var actions = new List<TableTransactionAction>();
        var listed = new HashSet<string>(StringComparer.Ordinal);

        // Last entry wins if a report lists an index twice: one row key may appear only once in a transaction.
        foreach (var emulator in report.Emulators.GroupBy(e => e.Index).Select(g => g.Last()))
        {
            var rowKey = RowKey(report.HostId, emulator.Index);
            listed.Add(rowKey);
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertMerge, new TableEntity(report.SiteId, rowKey)
            {
                ["HostId"] = report.HostId,
                ["Index"] = emulator.Index,
                ["Title"] = emulator.Title,

                // Lower-cased title: lets a name pattern's literal prefix become a range filter on the server.
                ["TitleKey"] = emulator.Title.ToLowerInvariant(),
                ["State"] = emulator.State,
                ["PlayerPid"] = emulator.PlayerPid,
                ["VmPid"] = emulator.VmPid,
                ["Width"] = emulator.Width,
                ["Height"] = emulator.Height,
                ["Dpi"] = emulator.Dpi,
                ["ObservedAt"] = report.ObservedAt,
            }));
        }

        await foreach (var stale in _emulators.QueryAsync<TableEntity>(HostFilter(report.SiteId, report.HostId), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            if (!listed.Contains(stale.RowKey))
            {
                // ETag.All: the emulator is gone from the host, whatever was written to its row since.
                actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(report.SiteId, stale.RowKey), ETag.All));
            }
        }

        var hostRow = new TableEntity(report.SiteId, report.HostId)
        {
            ["Kind"] = HostKind,
            ["ObservedAt"] = report.ObservedAt,
            ["EmulatorCount"] = listed.Count,
            ["LastError"] = marker.HasValue ? marker.Value!.GetString("LastError") : null,
            ["LastErrorAt"] = marker.HasValue ? marker.Value!.GetDateTimeOffset("LastErrorAt") : null,
        };
        actions.Add(marker.HasValue
            ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, hostRow, marker.Value!.ETag)
            : new TableTransactionAction(TableTransactionActionType.Add, hostRow));

        foreach (var chunk in actions.Chunk(MaxTransaction))
        {
            await _emulators.SubmitTransactionAsync(chunk, cancellationToken);
        }

        return true;
    }

    /// <summary>The hosts that sent inventory reports for a site (marker rows).</summary>
    public async Task<IReadOnlyList<HostObservation>> ListHostObservationsAsync(string siteId, CancellationToken cancellationToken)
    {
        var hosts = new List<HostObservation>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {siteId} and Kind eq {HostKind}");
        await foreach (var e in _emulators.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            hosts.Add(new HostObservation(siteId, e.RowKey, e.GetDateTimeOffset("ObservedAt"), e.GetInt32("EmulatorCount") ?? 0, NullIfEmpty(e.GetString("LastError")), e.GetDateTimeOffset("LastErrorAt")));
        }

        return hosts;
    }

    public async Task<EmulatorRecord?> GetEmulatorAsync(string siteId, string hostId, int index, CancellationToken cancellationToken)
    {
        var response = await _emulators.GetEntityIfExistsAsync<TableEntity>(siteId, RowKey(hostId, index), cancellationToken: cancellationToken);
        return response.HasValue ? ToEmulator(response.Value!) : null;
    }

    /// <summary>
    /// Replaces an emulator's labels. A read-modify-write of the whole row guarded by its ETag: a report merged
    /// in between makes it start over, so neither the labels nor the reported fields are lost. Null when the
    /// emulator is not in the inventory.
    /// </summary>
    public async Task<EmulatorRecord?> SetLabelsAsync(string siteId, string hostId, int index, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(labels);
        for (var attempt = 0; ; attempt++)
        {
            var response = await _emulators.GetEntityIfExistsAsync<TableEntity>(siteId, RowKey(hostId, index), cancellationToken: cancellationToken);
            if (!response.HasValue)
            {
                return null;
            }

            var current = response.Value!;
            var next = new TableEntity(siteId, current.RowKey);
            foreach (var name in ReportedProperties)
            {
                if (current.TryGetValue(name, out var value))
                {
                    next[name] = value;
                }
            }

            foreach (var (key, value) in labels)
            {
                next[Labels.PropertyPrefix + key] = value;
            }

            try
            {
                await _emulators.UpdateEntityAsync(next, current.ETag, TableUpdateMode.Replace, cancellationToken);
                return ToEmulator(next);
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < MaxConflictRetries)
            {
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return null;
            }
        }
    }

    /// <summary>One page of the emulators matching <paramref name="query"/>, in site, host, index order.</summary>
    public async Task<ListPage<EmulatorRecord>> QueryPageAsync(EmulatorQuery query, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(page);
        var items = new List<EmulatorRecord>(Math.Min(page.PageSize, 1000));
        EmulatorRecord? last = null;
        await foreach (var emulator in QueryCoreAsync(query, page.After, Math.Min(page.PageSize + 1, 1000), cancellationToken))
        {
            if (items.Count == page.PageSize)
            {
                return new ListPage<EmulatorRecord>(items, new ContinuationToken(PagingScope, last!.SiteId, RowKey(last.HostId, last.Index)));
            }

            items.Add(emulator);
            last = emulator;
        }

        return new ListPage<EmulatorRecord>(items, null);
    }

    /// <summary>
    /// Every emulator matching <paramref name="query"/> (with labels), e.g. to resolve a batch's target
    /// selector. Give a site to keep the query within one partition.
    /// </summary>
    public async Task<IReadOnlyList<EmulatorRecord>> QueryAsync(EmulatorQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var all = new List<EmulatorRecord>();
        await foreach (var emulator in QueryCoreAsync(query, null, 1000, cancellationToken))
        {
            all.Add(emulator);
        }

        return all;
    }

    /// <summary>The emulators of a site, optionally of one host (unpaged; see <see cref="QueryAsync"/>).</summary>
    public Task<IReadOnlyList<EmulatorRecord>> ListEmulatorsAsync(string siteId, string? hostId, CancellationToken cancellationToken) =>
        QueryAsync(new EmulatorQuery { SiteId = siteId, HostId = hostId }, cancellationToken);

    /// <summary>Removes a site's whole inventory (emulators and host markers) and its relay status.</summary>
    public async Task DeleteSiteAsync(string siteId, CancellationToken cancellationToken)
    {
        var rows = new List<TableTransactionAction>();
        await foreach (var row in _emulators.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {siteId}"), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            rows.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(siteId, row.RowKey), ETag.All));
        }

        foreach (var chunk in rows.Chunk(MaxTransaction))
        {
            await _emulators.SubmitTransactionAsync(chunk, cancellationToken);
        }

        try
        {
            await _relays.DeleteEntityAsync(RelayPartition, siteId, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    /// <summary>Deletes one host's marker and emulator rows (the host was unregistered).</summary>
    public async Task DeleteHostAsync(string siteId, string hostId, CancellationToken cancellationToken)
    {
        var rows = new List<TableTransactionAction>();
        await foreach (var row in _emulators.QueryAsync<TableEntity>(HostFilter(siteId, hostId), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            rows.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(siteId, row.RowKey), ETag.All));
        }

        foreach (var chunk in rows.Chunk(MaxTransaction))
        {
            await _emulators.SubmitTransactionAsync(chunk, cancellationToken);
        }

        // Separately: a missing row would fail a whole transaction.
        try
        {
            await _emulators.DeleteEntityAsync(siteId, hostId, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    private async IAsyncEnumerable<EmulatorRecord> QueryCoreAsync(EmulatorQuery query, ContinuationToken? after, int perPage, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in _emulators.QueryAsync<TableEntity>(Filter(query, after), maxPerPage: perPage, cancellationToken: cancellationToken))
        {
            var emulator = ToEmulator(e);
            if (query.Name is null || query.Name.IsMatch(emulator.Title))
            {
                yield return emulator;
            }
        }
    }

    private static string Filter(EmulatorQuery query, ContinuationToken? after)
    {
        // Only emulator rows carry an Index; host markers do not and drop out here.
        var parts = new List<string> { "Index ge 0" };
        if (query.SiteId is not null)
        {
            parts.Add(TableClient.CreateQueryFilter($"PartitionKey eq {query.SiteId}"));
        }

        if (query.HostId is not null)
        {
            parts.Add(TableClient.CreateQueryFilter($"RowKey gt {query.HostId + EmulatorSeparator} and RowKey lt {query.HostId + AfterSeparator}"));
        }

        if (query.State is not null)
        {
            parts.Add(TableClient.CreateQueryFilter($"State eq {query.State}"));
        }

        if (query.Name?.LiteralPrefix is { Length: > 0 } prefix && prefix[^1] < char.MaxValue)
        {
            // Narrows what the service returns; the pattern itself is still applied to each row.
            var upper = prefix[..^1] + (char)(prefix[^1] + 1);
            parts.Add(TableClient.CreateQueryFilter($"TitleKey ge {prefix} and TitleKey lt {upper}"));
        }

        foreach (var (key, value) in query.Labels)
        {
            // The key passed Labels.ValidateKey ([a-z][a-z0-9_]*), so it is safe as a property name; the value is quoted.
            parts.Add(Labels.PropertyPrefix + key + " eq " + TableClient.CreateQueryFilter($"{value}"));
        }

        if (after is not null)
        {
            parts.Add(query.SiteId is not null
                ? TableClient.CreateQueryFilter($"RowKey gt {after.RowKey}")
                : TableClient.CreateQueryFilter($"(PartitionKey gt {after.PartitionKey} or (PartitionKey eq {after.PartitionKey} and RowKey gt {after.RowKey}))"));
        }

        return string.Join(" and ", parts);
    }

    private async Task RecordHostErrorAsync(InventoryReport report, TableEntity? marker, CancellationToken cancellationToken)
    {
        var row = new TableEntity(report.SiteId, report.HostId)
        {
            ["Kind"] = HostKind,
            ["LastError"] = report.Error,
            ["LastErrorAt"] = report.ObservedAt,
        };
        if (marker is null)
        {
            await _emulators.UpsertEntityAsync(row, TableUpdateMode.Merge, cancellationToken);
        }
        else if (marker.GetDateTimeOffset("LastErrorAt") is not { } previous || previous < report.ObservedAt)
        {
            await _emulators.UpdateEntityAsync(row, marker.ETag, TableUpdateMode.Merge, cancellationToken);
        }
    }

    private static RelayStatus ToRelay(TableEntity e) => new(
        e.RowKey,
        e.GetString("InstanceId") ?? "",
        e.GetString("Version") ?? "",
        e.GetDateTimeOffset("StartedAt") ?? default,
        e.GetDateTimeOffset("LastHeartbeat") ?? default,
        (e.GetString("HostIds") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries),
        e.GetInt32("CommandsInFlight") ?? 0)
    {
        Uptime = e.GetInt64("UptimeTicks") is { } ticks ? TimeSpan.FromTicks(ticks) : null,
        Circuits = e.GetString("Circuits") is { Length: > 0 } json ? JsonSerializer.Deserialize<HostCircuit[]>(json, ProtocolJson.Options) ?? [] : [],
    };

    private static EmulatorRecord ToEmulator(TableEntity e)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in e)
        {
            if (name.StartsWith(Labels.PropertyPrefix, StringComparison.Ordinal) && value is string text)
            {
                labels[name[Labels.PropertyPrefix.Length..]] = text;
            }
        }

        return new EmulatorRecord(
            e.PartitionKey,
            e.GetString("HostId") ?? "",
            e.GetInt32("Index") ?? -1,
            e.GetString("Title") ?? "",
            e.GetString("State") ?? "",
            e.GetInt32("PlayerPid") ?? -1,
            e.GetInt32("VmPid") ?? -1,
            e.GetInt32("Width"),
            e.GetInt32("Height"),
            e.GetInt32("Dpi"),
            e.GetDateTimeOffset("ObservedAt") ?? default)
        {
            Labels = labels,
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string RowKey(string hostId, int index) => string.Create(CultureInfo.InvariantCulture, $"{hostId}{EmulatorSeparator}{index:D6}");

    private static string HostFilter(string siteId, string hostId) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {siteId} and RowKey gt {hostId + EmulatorSeparator} and RowKey lt {hostId + AfterSeparator}");
}
