using System.Globalization;
using Azure;
using Azure.Data.Tables;
using LdFleet.Functions.Storage;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Operations.Deadlines;

/// <summary>An index entry: look at <see cref="Key"/> at <see cref="DueAt"/>.</summary>
internal sealed record DeadlineEntry(string Bucket, string Key, DateTimeOffset DueAt)
{
    public const string OperationPrefix = "o|";
    public const string BatchPrefix = "b|";

    public bool IsOperation => Key.StartsWith(OperationPrefix, StringComparison.Ordinal);

    public string Id => Key[2..];
}

/// <summary>
/// Deadlines (timeouts, scheduled retries, re-checks) in time-bucketed partitions of the <c>deadlines</c> table:
/// partition <c>d{bucket start}</c>, row <c>o|{operationId}</c> or <c>b|{batchId}</c>. The sweep reads every
/// bucket up to now with one key-range query and deletes entries as it settles them, so the table holds only
/// what is still owed. An entry is a hint: the operation row is the truth, read before anything is done.
/// </summary>
/// <remarks>
/// Operations younger than <see cref="OperationsOptions.CreationScanLag"/> need no entry: the creation scan
/// reads the operations table by key range (ids sort by creation time) once they are that old. Most single
/// commands finish before then and never touch this table.
/// </remarks>
internal sealed class DeadlineIndex
{
    private const string BucketPrefix = "d";
    private const string CursorPartition = "cursor";
    private const string CreationCursor = "creation";

    private readonly TableClient _table;
    private readonly IOptionsMonitor<OperationsOptions> _options;

    public DeadlineIndex(TableServiceClient service, IOptionsMonitor<OperationsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(FleetTables.Deadlines);
        _options = options;
    }

    public string BucketOf(DateTimeOffset at)
    {
        var width = _options.CurrentValue.DeadlineBucket.Ticks;
        var start = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % width), TimeSpan.Zero);
        return BucketPrefix + start.UtcDateTime.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
    }

    public Task AddAsync(string key, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(new TableEntity(BucketOf(dueAt), key) { ["DueAt"] = dueAt }, TableUpdateMode.Replace, cancellationToken);

    public async Task RemoveAsync(DeadlineEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        try
        {
            await _table.DeleteEntityAsync(entry.Bucket, entry.Key, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Another sweeper settled it first.
        }
    }

    /// <summary>Every entry in buckets that started at or before <paramref name="now"/>, oldest bucket first.</summary>
    public async IAsyncEnumerable<DeadlineEntry> FindDueAsync(DateTimeOffset now, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = $"PartitionKey gt '{BucketPrefix}' and PartitionKey le '{BucketOf(now)}'";
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return new DeadlineEntry(e.PartitionKey, e.RowKey, e.GetDateTimeOffset("DueAt") ?? now);
        }
    }

    /// <summary>How far the creation scan has got (operations created before it have been looked at).</summary>
    public async Task<(DateTimeOffset? ScannedTo, ETag ETag)> GetCreationCursorAsync(CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(CursorPartition, CreationCursor, cancellationToken: cancellationToken);
        return response.HasValue ? (response.Value!.GetDateTimeOffset("ScannedTo"), response.Value!.ETag) : (null, default);
    }

    /// <summary>Moves the cursor unless another sweeper moved it since it was read (then that one's value stands).</summary>
    public async Task TryAdvanceCreationCursorAsync(DateTimeOffset scannedTo, ETag etag, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(CursorPartition, CreationCursor) { ["ScannedTo"] = scannedTo };
        try
        {
            if (etag == default)
            {
                await _table.AddEntityAsync(entity, cancellationToken);
            }
            else
            {
                await _table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, cancellationToken);
            }
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
        }
    }
}
