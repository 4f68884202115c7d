using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Operation = LdFleet.Functions.Operations.Operation;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Deadlines;
using LdFleet.Functions.Operations.Workflows;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Batches;

/// <summary>Batch tuning.</summary>
internal sealed class BatchOptions
{
    public const string SectionName = "Batches";

    /// <summary>How often a running batch is checked for children whose end was never reported to it (crash in between).</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Batches:CheckInterval must be between 1 second and 1 hour.")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Children started at once per pump round.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 256, ErrorMessage = "Batches:StartParallelism must be between 1 and 256.")]
    public int StartParallelism { get; set; } = 32;

    /// <summary>A cached snapshot older than this is re-read, so another instance's progress is seen.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "Batches:SnapshotMaxAge must be between 0 and 10 minutes.")]
    public TimeSpan SnapshotMaxAge { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Drives batches. A pump round reads the batch (from a per-process snapshot when fresh), asks the decider which
/// items to start, records them as started with their child operation ids (ETag-conditional entity-group
/// transactions: two instances cannot start the same item), and only then creates the children. A child's end
/// is written to its item row and triggers another round. Rounds for one batch are serialised in-process and
/// coalesced: a burst of child completions costs one round, not one each.
/// </summary>
internal sealed partial class BatchEngine : IBatchChildObserver, IBatchSweeper
{
    private readonly BatchStore _store;
    private readonly OperationEngine _operations;
    private readonly DeadlineIndex _deadlines;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<BatchOptions> _options;
    private readonly ILogger<BatchEngine> _logger;
    private readonly ConcurrentDictionary<string, Pump> _pumps = new(StringComparer.Ordinal);

    public BatchEngine(BatchStore store, OperationEngine operations, DeadlineIndex deadlines, TimeProvider time, IOptionsMonitor<BatchOptions> options, ILogger<BatchEngine> logger)
    {
        _store = store;
        _operations = operations;
        _deadlines = deadlines;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>Per-batch serialisation and the cached snapshot.</summary>
    private sealed class Pump
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int Requested;

        public BatchSnapshot? Snapshot { get; set; }
    }

    public async Task<Batch> CreateAsync(BatchRequest request, IReadOnlyList<BatchItem> items, string? createdBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(items);
        var now = _time.GetUtcNow();
        Limit.TryParse(request.MaxConcurrency ?? "50", allowZero: false, out var concurrency);
        Limit.TryParse(request.MaxConcurrencyPerHost, allowZero: false, out var perHost);
        Limit.TryParse(request.MaxErrors, allowZero: true, out var errors);
        var batch = new Batch
        {
            Id = OperationIds.New(now),
            Workflow = request.Workflow,
            Parameters = request.Parameters ?? new Dictionary<string, string>(),
            Script = request.Steps,
            Total = items.Count,
            MaxConcurrency = concurrency,
            MaxConcurrencyPerHost = perHost,
            MaxErrors = errors,
            Status = BatchStatus.Running,
            CreatedAt = now,
            UpdatedAt = now,
            CreatedBy = createdBy,
            // Explicit targets are the items themselves; repeating them here could overflow a table property.
            Selector = JsonSerializer.Serialize(request.Selector with { Targets = null }, OperationStore.Json),
            Counts = new BatchCounts { Pending = items.Count },
        };

        // The check entry first: whatever happens next, the sweep will come back to this batch.
        await _deadlines.AddAsync(DeadlineEntry.BatchPrefix + batch.Id, now + _options.CurrentValue.CheckInterval, cancellationToken);
        await _store.CreateAsync(batch, items, cancellationToken);
        LogCreated(_logger, batch.Id, batch.Workflow, batch.Total, batch.MaxConcurrency.ToString(), batch.MaxErrors.ToString());
        await PumpAsync(batch.Id, cancellationToken);
        return (await _store.GetAsync(batch.Id, cancellationToken)) ?? batch;
    }

    public Task<Batch?> GetAsync(string batchId, CancellationToken cancellationToken) => _store.GetAsync(batchId, cancellationToken);

    public Task<LdFleet.Functions.Api.ListPage<BatchItem>> ListItemsAsync(string batchId, LdFleet.Functions.Api.PageRequest page, CancellationToken cancellationToken) =>
        _store.ListItemsAsync(batchId, page, cancellationToken);

    /// <summary>Stops new children and cancels running ones. Returns null if there is no such batch.</summary>
    public async Task<Batch?> CancelAsync(string batchId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var snapshot = await _store.LoadAsync(batchId, _time.GetUtcNow(), cancellationToken);
            if (snapshot is null)
            {
                return null;
            }

            if (snapshot.Batch.Status.IsTerminal() || snapshot.Batch.CancelRequested)
            {
                return snapshot.Batch;
            }

            if (await _store.TryReplaceStateAsync(snapshot.Batch with { CancelRequested = true, UpdatedAt = _time.GetUtcNow() }, snapshot.BatchETag, cancellationToken) is not null)
            {
                LogCancelRequested(_logger, batchId);
                Forget(batchId);
                await PumpAsync(batchId, cancellationToken);
                return await _store.GetAsync(batchId, cancellationToken);
            }
        }

        throw new InvalidOperationException($"Batch {batchId} kept changing while being cancelled.");
    }

    public async Task ChildFinishedAsync(Operation operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (operation.BatchId is not { } batchId || operation.BatchItem is not { } seq)
        {
            return;
        }

        var pump = _pumps.GetOrAdd(batchId, _ => new Pump());
        await pump.Gate.WaitAsync(cancellationToken);
        try
        {
            var snapshot = pump.Snapshot;
            var known = snapshot is not null && seq < snapshot.Items.Length ? snapshot.Items[seq] : null;
            var item = (known ?? new BatchItem { Seq = seq, SiteId = operation.SiteId, HostId = operation.HostId, Index = operation.Index ?? -1, Status = BatchItemStatus.Started })
                with
                {
                    Status = operation.Status.ToItemStatus(),
                    OperationId = operation.Id,
                    CompletedAt = operation.CompletedAt,
                    ErrorCode = operation.ErrorCode,
                    StartedAt = known?.StartedAt ?? operation.CreatedAt,
                };
            if (known is null)
            {
                // Not in this instance's snapshot: write the fields the end owns on top of what is stored.
                var stored = await _store.LoadAsync(batchId, _time.GetUtcNow(), cancellationToken);
                if (stored is null || seq >= stored.Items.Length)
                {
                    return;
                }

                item = stored.Items[seq] with { Status = item.Status, OperationId = operation.Id, CompletedAt = item.CompletedAt, ErrorCode = item.ErrorCode };
            }

            var etag = await _store.RecordFinishedAsync(batchId, item, cancellationToken);
            if (snapshot is not null && seq < snapshot.Items.Length)
            {
                snapshot.Items[seq] = item;
                snapshot.ItemETags[seq] = etag;
            }
        }
        finally
        {
            pump.Gate.Release();
        }

        // Start the next children without holding up the result that finished this one.
        _ = Task.Run(() => PumpQuietlyAsync(batchId), CancellationToken.None);
    }

    /// <summary>
    /// The sweep's periodic visit: re-reads everything, settles children whose end was never reported (or whose
    /// creation never happened), pumps, and says when to look again.
    /// </summary>
    public async Task<DateTimeOffset?> CheckAsync(string batchId, CancellationToken cancellationToken)
    {
        Forget(batchId);
        var snapshot = await _store.LoadAsync(batchId, _time.GetUtcNow(), cancellationToken);
        if (snapshot is null)
        {
            return null;
        }

        var stale = _time.GetUtcNow() - _options.CurrentValue.CheckInterval;
        foreach (var item in snapshot.Items.Where(i => i.Status == BatchItemStatus.Started && i.StartedAt < stale))
        {
            var child = await _operations.GetAsync(item.OperationId!, cancellationToken);
            if (child is null)
            {
                // Recorded as started, but the process died before creating the child: create it now.
                await StartChildAsync(snapshot.Batch, item, cancellationToken);
            }
            else if (child.Status.IsTerminal())
            {
                await ChildFinishedAsync(child, cancellationToken);
            }
        }

        Forget(batchId);
        var batch = await PumpAsync(batchId, cancellationToken);
        return batch is null || batch.Status.IsTerminal() ? null : _time.GetUtcNow() + _options.CurrentValue.CheckInterval;
    }

    private async Task PumpQuietlyAsync(string batchId)
    {
        try
        {
            await PumpAsync(batchId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The batch's periodic check pumps again.
            LogPumpFailed(_logger, ex, batchId);
        }
    }

    /// <summary>Runs pump rounds until nothing more can start; concurrent requests fold into the running one.</summary>
    public async Task<Batch?> PumpAsync(string batchId, CancellationToken cancellationToken)
    {
        var pump = _pumps.GetOrAdd(batchId, _ => new Pump());
        Interlocked.Increment(ref pump.Requested);
        Batch? batch = null;
        while (true)
        {
            if (!await pump.Gate.WaitAsync(0, cancellationToken))
            {
                // A round is running and will see the request.
                if (pump.Snapshot is { } running)
                {
                    return running.Batch;
                }

                await pump.Gate.WaitAsync(cancellationToken);
            }

            var toStart = new List<BatchItem>();
            var toCancel = new List<BatchItem>();
            try
            {
                do
                {
                    Interlocked.Exchange(ref pump.Requested, 0);
                    var round = await RoundAsync(pump, batchId, cancellationToken);
                    if (round is null)
                    {
                        return null;
                    }

                    batch = round.Batch;
                    toStart.AddRange(round.Start);
                    toCancel.AddRange(round.Cancel);
                }
                while (Volatile.Read(ref pump.Requested) > 0);
            }
            finally
            {
                pump.Gate.Release();
            }

            var options = new ParallelOptions { MaxDegreeOfParallelism = _options.CurrentValue.StartParallelism, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(toStart, options, async (item, ct) => await StartChildAsync(batch!, item, ct));
            await Parallel.ForEachAsync(toCancel, options, async (item, ct) => await _operations.CancelAsync(item.OperationId!, "The batch was cancelled.", ct));
            if (batch!.Status.IsTerminal())
            {
                LogFinished(_logger, batchId, batch.Status, batch.Counts.Succeeded, batch.Counts.Errors);
                _pumps.TryRemove(batchId, out _);
                return batch;
            }

            // A request that arrived after the last round but before the gate was released goes again here.
            if (Volatile.Read(ref pump.Requested) == 0)
            {
                return batch;
            }
        }
    }

    private async Task<BatchPlan?> RoundAsync(Pump pump, string batchId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var now = _time.GetUtcNow();
            var snapshot = pump.Snapshot is { } cached && now - cached.LoadedAt <= _options.CurrentValue.SnapshotMaxAge
                ? cached
                : await _store.LoadAsync(batchId, now, cancellationToken);
            if (snapshot is null)
            {
                return null;
            }

            pump.Snapshot = snapshot;
            var plan = BatchDecider.Plan(snapshot.Batch, snapshot.Items, now);
            var started = plan.Start.Select(i => i with
            {
                Status = BatchItemStatus.Started,
                OperationId = OperationIds.New(now),
                StartedAt = now,
            }).ToList();
            var skipped = plan.Skip.Select(i => i with { Status = BatchItemStatus.Skipped, CompletedAt = now }).ToList();
            var updates = started.Concat(skipped).Select(i => (i, snapshot.ItemETags[i.Seq])).ToList();

            // Recording the starts is the outbox: the child ids exist before the children do.
            var etags = updates.Count == 0 ? [] : await _store.TryUpdateItemsAsync(batchId, updates, cancellationToken);
            if (etags is null)
            {
                pump.Snapshot = null; // another instance moved first
                if (attempt >= 10)
                {
                    throw new InvalidOperationException($"Batch {batchId} kept changing under its pump.");
                }

                continue;
            }

            for (var i = 0; i < updates.Count; i++)
            {
                snapshot.Items[updates[i].i.Seq] = updates[i].i;
                snapshot.ItemETags[updates[i].i.Seq] = etags[i];
            }

            if (plan.Batch != snapshot.Batch)
            {
                var written = await _store.TryReplaceStateAsync(plan.Batch, snapshot.BatchETag, cancellationToken);
                if (written is null)
                {
                    // Someone else (a cancel, another pump) changed the state row: re-read it and plan again.
                    pump.Snapshot = null;
                    Interlocked.Increment(ref pump.Requested);
                    return plan with { Start = started };
                }

                snapshot.Batch = plan.Batch;
                snapshot.BatchETag = written.Value;
            }

            return plan with { Start = started };
        }
    }

    private async Task StartChildAsync(Batch batch, BatchItem item, CancellationToken cancellationToken)
    {
        var request = new OperationRequest
        {
            Workflow = batch.Workflow,
            SiteId = item.SiteId,
            HostId = item.HostId,
            Index = item.Index,
            Parameters = batch.Parameters,
            Steps = batch.Script,
        };
        try
        {
            await _operations.StartAsync(request, new StartContext(item.OperationId, batch.Id, item.Seq, batch.CreatedBy), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The item stays Started without a child; the batch check creates it.
            LogChildStartFailed(_logger, ex, batch.Id, item.Seq);
        }
    }

    private void Forget(string batchId)
    {
        if (_pumps.TryGetValue(batchId, out var pump))
        {
            pump.Snapshot = null;
        }
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Batch {BatchId}: {Workflow} over {Total} emulators, concurrency {MaxConcurrency}, max errors {MaxErrors}")]
    private static partial void LogCreated(ILogger logger, string batchId, string workflow, int total, string maxConcurrency, string maxErrors);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "Batch {BatchId}: finished {Status}, {Succeeded} succeeded, {Errors} failed")]
    private static partial void LogFinished(ILogger logger, string batchId, BatchStatus status, int succeeded, int errors);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Batch {BatchId}: pump failed; the periodic check will pump again")]
    private static partial void LogPumpFailed(ILogger logger, Exception exception, string batchId);

    [LoggerMessage(EventId = 2204, Level = LogLevel.Warning, Message = "Batch {BatchId}: starting item {Seq} failed; the periodic check will retry")]
    private static partial void LogChildStartFailed(ILogger logger, Exception exception, string batchId, int seq);

    [LoggerMessage(EventId = 2205, Level = LogLevel.Information, Message = "Batch {BatchId}: cancel requested")]
    private static partial void LogCancelRequested(ILogger logger, string batchId);
}
