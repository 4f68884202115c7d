using System.Globalization;
using System.Security.Cryptography;
using Azure.Data.Tables;
using LdFleet.Functions.Api;
using LdFleet.Functions.Storage;

namespace LdFleet.Functions.Audit;

/// <summary>One mutating API call as the audit table keeps it.</summary>
internal sealed record AuditEntry(
    DateTimeOffset At,
    string CallerId,
    string CallerName,
    IReadOnlyList<string> Roles,
    string Action,
    string Method,
    string Path,
    string Target,
    int Status,
    string Outcome,
    string TraceId,
    string? IdempotencyKey);

/// <summary>
/// The audit table, partitioned by UTC day (one partition per day keeps writes spread and lets a day be read
/// or purged as a whole); row keys sort newest first.
/// </summary>
internal sealed class AuditStore
{
    public const string PagingScope = "audit";
    private const int MaxText = 1024;

    private readonly TableClient _table;

    public AuditStore(TableServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(FleetTables.Audit);
    }

    public static string DayKey(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public Task AddAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);

        // Newest first within the day; the random suffix keeps two calls in the same tick apart.
        var rowKey = string.Create(CultureInfo.InvariantCulture, $"{DateTime.MaxValue.Ticks - entry.At.UtcTicks:D19}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        return _table.AddEntityAsync(new TableEntity(DayKey(entry.At), rowKey)
        {
            ["At"] = entry.At,
            ["CallerId"] = Clip(entry.CallerId),
            ["CallerName"] = Clip(entry.CallerName),
            ["Roles"] = string.Join(',', entry.Roles),
            ["Action"] = Clip(entry.Action),
            ["Method"] = Clip(entry.Method),
            ["Path"] = Clip(entry.Path),
            ["Target"] = Clip(entry.Target),
            ["Status"] = entry.Status,
            ["Outcome"] = entry.Outcome,
            ["TraceId"] = Clip(entry.TraceId),
            ["IdempotencyKey"] = entry.IdempotencyKey is null ? null : Clip(entry.IdempotencyKey),
        }, cancellationToken);
    }

    /// <summary>A page of one day's entries, newest first, optionally only one caller's or one action's.</summary>
    public async Task<ListPage<AuditEntry>> ListAsync(DateOnly day, string? callerId, string? action, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var dayKey = day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {dayKey}");
        if (page.After is { } after)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {after.RowKey}");
        }

        if (callerId is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"CallerId eq {callerId}");
        }

        if (action is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Action eq {action}");
        }

        var items = new List<AuditEntry>();
        string? lastRowKey = null;
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(page.PageSize + 1, 1000), cancellationToken: cancellationToken))
        {
            if (items.Count == page.PageSize)
            {
                return new ListPage<AuditEntry>(items, new ContinuationToken(PagingScope, dayKey, lastRowKey!));
            }

            items.Add(FromEntity(e));
            lastRowKey = e.RowKey;
        }

        return new ListPage<AuditEntry>(items, null);
    }

    private static AuditEntry FromEntity(TableEntity e) => new(
        e.GetDateTimeOffset("At") ?? default,
        e.GetString("CallerId") ?? "",
        e.GetString("CallerName") ?? "",
        (e.GetString("Roles") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries),
        e.GetString("Action") ?? "",
        e.GetString("Method") ?? "",
        e.GetString("Path") ?? "",
        e.GetString("Target") ?? "",
        e.GetInt32("Status") ?? 0,
        e.GetString("Outcome") ?? "",
        e.GetString("TraceId") ?? "",
        e.GetString("IdempotencyKey"));

    private static string Clip(string value) => value.Length <= MaxText ? value : value[..MaxText];
}
