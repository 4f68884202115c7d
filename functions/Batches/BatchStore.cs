using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Storage;

namespace LdFleet.Functions.Batches;

/// <summary>A batch's rows as read together, with the ETags needed to change them.</summary>
internal sealed class BatchSnapshot
{
    public required Batch Batch { get; set; }

    public required ETag BatchETag { get; set; }

    public required BatchItem[] Items { get; init; }

    public required ETag[] ItemETags { get; init; }

    public DateTimeOffset LoadedAt { get; init; }
}

/// <summary>
/// One partition per batch: the <c>state</c> row and one <c>i|{seq}</c> row per target, so the whole batch
/// reads with one query and up to 100 items change in one entity-group transaction. Children (operations)
/// live in their own partitions, spread across the operations table.
/// </summary>
internal sealed class BatchStore
{
    private const string StateRowKey = "state";
    private const string ItemPrefix = "i|";
    private const int MaxGroup = 100;

    private readonly TableClient _table;

    public BatchStore(TableServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(FleetTables.Batches);
    }

    /// <summary>Writes the items first, then the state row: a batch without its state row is invisible and is purged by age.</summary>
    public async Task CreateAsync(Batch batch, IReadOnlyList<BatchItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var chunk in items.Chunk(MaxGroup))
        {
            await _table.SubmitTransactionAsync(chunk.Select(i => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ItemEntity(batch.Id, i))), cancellationToken);
        }

        await _table.AddEntityAsync(StateEntity(batch), cancellationToken);
    }

    public async Task<Batch?> GetAsync(string batchId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(batchId, StateRowKey, cancellationToken: cancellationToken);
        return response.HasValue ? FromState(response.Value!) : null;
    }

    public async Task<BatchSnapshot?> LoadAsync(string batchId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Batch? batch = null;
        var etag = default(ETag);
        var items = new List<(BatchItem Item, ETag ETag)>();
        await foreach (var e in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {batchId}"), cancellationToken: cancellationToken))
        {
            if (e.RowKey == StateRowKey)
            {
                batch = FromState(e);
                etag = e.ETag;
            }
            else if (e.RowKey.StartsWith(ItemPrefix, StringComparison.Ordinal))
            {
                items.Add((FromItem(e), e.ETag));
            }
        }

        if (batch is null)
        {
            return null;
        }

        items.Sort((a, b) => a.Item.Seq.CompareTo(b.Item.Seq));
        return new BatchSnapshot { Batch = batch, BatchETag = etag, Items = [.. items.Select(i => i.Item)], ItemETags = [.. items.Select(i => i.ETag)], LoadedAt = now };
    }

    /// <summary>Replaces items conditionally, in groups of 100; returns the new ETags, or null if any group lost a race (nothing in that group changed).</summary>
    public async Task<ETag[]?> TryUpdateItemsAsync(string batchId, IReadOnlyList<(BatchItem Item, ETag ETag)> updates, CancellationToken cancellationToken)
    {
        var etags = new List<ETag>(updates.Count);
        foreach (var chunk in updates.Chunk(MaxGroup))
        {
            try
            {
                var response = await _table.SubmitTransactionAsync(
                    chunk.Select(u => new TableTransactionAction(TableTransactionActionType.UpdateReplace, ItemEntity(batchId, u.Item), u.ETag)), cancellationToken);
                etags.AddRange(response.Value.Select(r => r.Headers.ETag ?? default));
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 412 or 404)
            {
                return null;
            }
        }

        return [.. etags];
    }

    /// <summary>Records a finished child; unconditional because only the child's end writes these fields.</summary>
    public async Task<ETag> RecordFinishedAsync(string batchId, BatchItem item, CancellationToken cancellationToken)
    {
        var response = await _table.UpsertEntityAsync(ItemEntity(batchId, item), TableUpdateMode.Replace, cancellationToken);
        return response.Headers.ETag ?? default;
    }

    public async Task<ETag?> TryReplaceStateAsync(Batch batch, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _table.UpdateEntityAsync(StateEntity(batch), etag, TableUpdateMode.Replace, cancellationToken);
            return response.Headers.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return null;
        }
    }

    public const string PagingScope = "batch-items";

    public async Task<LdFleet.Functions.Api.ListPage<BatchItem>> ListItemsAsync(string batchId, LdFleet.Functions.Api.PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var from = page.After is { PartitionKey: var pk, RowKey: var rk } && pk == batchId ? rk : ItemPrefix;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {batchId} and RowKey gt {from} and RowKey lt {"i}"}");
        var items = new List<BatchItem>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, maxPerPage: page.PageSize, cancellationToken: cancellationToken))
        {
            items.Add(FromItem(entity));
            if (items.Count == page.PageSize)
            {
                return new(items, new LdFleet.Functions.Api.ContinuationToken(PagingScope, batchId, entity.RowKey));
            }
        }

        return new(items, null);
    }

    /// <summary>Batch ids created before <paramref name="before"/> (ids sort by creation time).</summary>
    public async IAsyncEnumerable<(string Id, BatchStatus? Status)> FindCreatedBeforeAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = $"PartitionKey lt '{OperationIds.LowerBound(before)}' and RowKey eq '{StateRowKey}'";
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "Status"], cancellationToken: cancellationToken))
        {
            yield return (e.PartitionKey, Enum.TryParse<BatchStatus>(e.GetString("Status"), out var s) ? s : null);
        }
    }

    /// <summary>Deletes every row of the batch, 100 per transaction.</summary>
    public async Task PurgeAsync(string batchId, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var e in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {batchId}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            keys.Add(e.RowKey);
        }

        foreach (var chunk in keys.Chunk(MaxGroup))
        {
            await _table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(batchId, k), ETag.All)), cancellationToken);
        }
    }

    private static TableEntity StateEntity(Batch b) => new(b.Id, StateRowKey)
    {
        [nameof(Batch.Workflow)] = b.Workflow,
        [nameof(Batch.Parameters)] = JsonSerializer.Serialize(b.Parameters, OperationStore.Json),
        [nameof(Batch.Script)] = b.Script is null ? null : JsonSerializer.Serialize(b.Script, OperationStore.Json),
        [nameof(Batch.Total)] = b.Total,
        [nameof(Batch.MaxConcurrency)] = b.MaxConcurrency.ToString(),
        [nameof(Batch.MaxConcurrencyPerHost)] = b.MaxConcurrencyPerHost.ToString(),
        [nameof(Batch.MaxErrors)] = b.MaxErrors.ToString(),
        [nameof(Batch.Status)] = b.Status.ToString(),
        [nameof(Batch.CancelRequested)] = b.CancelRequested,
        [nameof(Batch.StopReason)] = b.StopReason,
        [nameof(Batch.CreatedAt)] = b.CreatedAt,
        [nameof(Batch.UpdatedAt)] = b.UpdatedAt,
        [nameof(Batch.CompletedAt)] = b.CompletedAt,
        [nameof(Batch.CreatedBy)] = b.CreatedBy,
        [nameof(Batch.Selector)] = b.Selector,
        [nameof(Batch.Counts)] = JsonSerializer.Serialize(b.Counts, OperationStore.Json),
    };

    private static Batch FromState(TableEntity e) => new()
    {
        Id = e.PartitionKey,
        Workflow = e.GetString(nameof(Batch.Workflow)),
        Parameters = JsonSerializer.Deserialize<Dictionary<string, string>>(e.GetString(nameof(Batch.Parameters)) ?? "{}", OperationStore.Json)!,
        Script = e.GetString(nameof(Batch.Script)) is { } script ? JsonSerializer.Deserialize<List<SequenceStep>>(script, OperationStore.Json) : null,
        Total = e.GetInt32(nameof(Batch.Total)) ?? 0,
        MaxConcurrency = ParseLimit(e.GetString(nameof(Batch.MaxConcurrency))),
        MaxConcurrencyPerHost = ParseLimit(e.GetString(nameof(Batch.MaxConcurrencyPerHost))),
        MaxErrors = ParseLimit(e.GetString(nameof(Batch.MaxErrors))),
        Status = Enum.Parse<BatchStatus>(e.GetString(nameof(Batch.Status))),
        CancelRequested = e.GetBoolean(nameof(Batch.CancelRequested)) ?? false,
        StopReason = e.GetString(nameof(Batch.StopReason)),
        CreatedAt = e.GetDateTimeOffset(nameof(Batch.CreatedAt)) ?? default,
        UpdatedAt = e.GetDateTimeOffset(nameof(Batch.UpdatedAt)) ?? default,
        CompletedAt = e.GetDateTimeOffset(nameof(Batch.CompletedAt)),
        CreatedBy = e.GetString(nameof(Batch.CreatedBy)),
        Selector = e.GetString(nameof(Batch.Selector)),
        Counts = JsonSerializer.Deserialize<BatchCounts>(e.GetString(nameof(Batch.Counts)) ?? "{}", OperationStore.Json)!,
    };

    private static Limit ParseLimit(string? text) => text == "unlimited" || !Limit.TryParse(text, allowZero: true, out var limit) ? Limit.Unlimited : limit;

    private static TableEntity ItemEntity(string batchId, BatchItem i) => new(batchId, ItemPrefix + i.Seq.ToString("D6", CultureInfo.InvariantCulture))
    {
        [nameof(BatchItem.Seq)] = i.Seq,
        [nameof(BatchItem.SiteId)] = i.SiteId,
        [nameof(BatchItem.HostId)] = i.HostId,
        [nameof(BatchItem.Index)] = i.Index,
        [nameof(BatchItem.Title)] = i.Title,
        [nameof(BatchItem.Status)] = i.Status.ToString(),
        [nameof(BatchItem.OperationId)] = i.OperationId,
        [nameof(BatchItem.StartedAt)] = i.StartedAt,
        [nameof(BatchItem.CompletedAt)] = i.CompletedAt,
        [nameof(BatchItem.ErrorCode)] = i.ErrorCode,
    };

    private static BatchItem FromItem(TableEntity e) => new()
    {
        Seq = e.GetInt32(nameof(BatchItem.Seq)) ?? 0,
        SiteId = e.GetString(nameof(BatchItem.SiteId)),
        HostId = e.GetString(nameof(BatchItem.HostId)),
        Index = e.GetInt32(nameof(BatchItem.Index)) ?? 0,
        Title = e.GetString(nameof(BatchItem.Title)),
        Status = Enum.Parse<BatchItemStatus>(e.GetString(nameof(BatchItem.Status))),
        OperationId = e.GetString(nameof(BatchItem.OperationId)),
        StartedAt = e.GetDateTimeOffset(nameof(BatchItem.StartedAt)),
        CompletedAt = e.GetDateTimeOffset(nameof(BatchItem.CompletedAt)),
        ErrorCode = e.GetString(nameof(BatchItem.ErrorCode)),
    };
}
