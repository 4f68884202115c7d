using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Storage;

namespace LdFleet.Functions.Batches;

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

    /// <summary>Up to <paramref name="count"/> targets from <paramref name="fromSeq"/> on, in order.</summary>
    public async Task<List<Orchestration.ChildTarget>> ReadTargetsAsync(string batchId, int fromSeq, int count, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {batchId} and RowKey ge {ItemKey(fromSeq)} and RowKey lt {ItemKey(fromSeq + count)}");
        var targets = new List<Orchestration.ChildTarget>(count);
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, select: [nameof(BatchItem.Seq), nameof(BatchItem.SiteId), nameof(BatchItem.HostId), nameof(BatchItem.Index)], cancellationToken: cancellationToken))
        {
            targets.Add(new(e.GetInt32(nameof(BatchItem.Seq)) ?? 0, e.GetString(nameof(BatchItem.SiteId)), e.GetString(nameof(BatchItem.HostId)), e.GetInt32(nameof(BatchItem.Index)) ?? 0));
        }

        return targets;
    }

    /// <summary>Records that items were started as the given child operations (before the children exist).</summary>
    public Task MarkStartedAsync(string batchId, IEnumerable<(int Seq, string OperationId)> started, DateTimeOffset at, CancellationToken cancellationToken) =>
        MergeItemsAsync(started.Select(s => new TableEntity(batchId, ItemKey(s.Seq))
        {
            [nameof(BatchItem.Status)] = nameof(BatchItemStatus.Started),
            [nameof(BatchItem.OperationId)] = s.OperationId,
            [nameof(BatchItem.StartedAt)] = at,
        }), cancellationToken);

    /// <summary>Records a child's end on its item (only the child's end writes these fields).</summary>
    public Task RecordChildEndAsync(string batchId, int seq, string operationId, BatchItemStatus status, DateTimeOffset? completedAt, string? errorCode, CancellationToken cancellationToken) =>
        _table.UpdateEntityAsync(new TableEntity(batchId, ItemKey(seq))
        {
            [nameof(BatchItem.Status)] = status.ToString(),
            [nameof(BatchItem.OperationId)] = operationId,
            [nameof(BatchItem.CompletedAt)] = completedAt,
            [nameof(BatchItem.ErrorCode)] = errorCode,
        }, ETag.All, TableUpdateMode.Merge, cancellationToken);

    /// <summary>Marks items that will never start: the listed ones and every one in [<paramref name="fromSeq"/>, <paramref name="toSeq"/>).</summary>
    public Task SkipAsync(string batchId, IEnumerable<int> seqs, int fromSeq, int toSeq, DateTimeOffset at, CancellationToken cancellationToken) =>
        MergeItemsAsync(seqs.Concat(Enumerable.Range(fromSeq, Math.Max(0, toSeq - fromSeq))).Distinct().Select(seq => new TableEntity(batchId, ItemKey(seq))
        {
            [nameof(BatchItem.Status)] = nameof(BatchItemStatus.Skipped),
            [nameof(BatchItem.CompletedAt)] = at,
        }), cancellationToken);

    /// <summary>Records how the batch ended on its state row.</summary>
    public Task RecordEndAsync(Orchestration.BatchEnd end, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(end);
        return _table.UpdateEntityAsync(new TableEntity(end.BatchId, StateRowKey)
        {
            [nameof(Batch.Status)] = end.Status.ToString(),
            [nameof(Batch.Counts)] = JsonSerializer.Serialize(end.Counts, OperationStore.Json),
            [nameof(Batch.StopReason)] = end.StopReason,
            [nameof(Batch.CancelRequested)] = end.CancelRequested,
            [nameof(Batch.CompletedAt)] = end.CompletedAt,
            [nameof(Batch.UpdatedAt)] = end.CompletedAt,
        }, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    private async Task MergeItemsAsync(IEnumerable<TableEntity> entities, CancellationToken cancellationToken)
    {
        // Entity-group transactions of up to 100 rows of the one partition; the groups go out a few at a time.
        await Parallel.ForEachAsync(entities.Chunk(MaxGroup), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (chunk, ct) =>
            await _table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpdateMerge, e, ETag.All)), ct));
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

    private static string ItemKey(int seq) => ItemPrefix + seq.ToString("D6", CultureInfo.InvariantCulture);

    private static TableEntity ItemEntity(string batchId, BatchItem i) => new(batchId, ItemKey(i.Seq))
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
