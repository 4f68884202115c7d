using LdFleet.Functions.Operations.Deadlines;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Operations;

/// <summary>Something the sweep can hand batch deadlines to.</summary>
internal interface IBatchSweeper
{
    /// <summary>Checks the batch; returns when it next needs a look (null: never again).</summary>
    Task<DateTimeOffset?> CheckAsync(string batchId, CancellationToken cancellationToken);
}

/// <summary>What one sweep pass did.</summary>
internal sealed record SweepReport(int Scanned, int Due, int Settled, int Rescheduled);

/// <summary>
/// Fires the engine's deadlines. One pass (a) reads operations created since the last pass's horizon by key
/// range and gives each that is still open an index entry, and (b) visits every index entry whose bucket has
/// begun: the operation's deadline fires (timeouts, scheduled retries, sends nobody performed) and the entry is
/// deleted or moved to the next deadline. Self-hosted mode runs it on its own timer; in Azure the Functions timer
/// trigger calls <see cref="SweepOnceAsync"/>. Several instances may sweep at once: every step is idempotent.
/// </summary>
internal sealed partial class OperationSweeper : BackgroundService
{
    private readonly OperationStore _store;
    private readonly OperationEngine _engine;
    private readonly DeadlineIndex _deadlines;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<OperationsOptions> _options;
    private readonly ILogger<OperationSweeper> _logger;

    public OperationSweeper(OperationStore store, OperationEngine engine, DeadlineIndex deadlines, IServiceProvider services, TimeProvider time, IOptionsMonitor<OperationsOptions> options, ILogger<OperationSweeper> logger)
    {
        _store = store;
        _engine = engine;
        _deadlines = deadlines;
        _services = services;
        _time = time;
        _options = options;
        _logger = logger;
    }

    public async Task<SweepReport> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var scanned = 0;
        var settled = 0;
        var rescheduled = 0;

        var (scannedTo, cursorTag) = await _deadlines.GetCreationCursorAsync(cancellationToken);
        var horizon = now - _options.CurrentValue.CreationScanLag;
        if (scannedTo is null || scannedTo < horizon)
        {
            await foreach (var id in _store.FindOpenCreatedAsync(scannedTo ?? DateTimeOffset.UnixEpoch, horizon, cancellationToken))
            {
                scanned++;
                (settled, rescheduled) = Add((settled, rescheduled), await VisitOperationAsync(id, entry: null, cancellationToken));
            }

            await _deadlines.TryAdvanceCreationCursorAsync(horizon, cursorTag, cancellationToken);
        }

        var due = 0;
        await foreach (var entry in _deadlines.FindDueAsync(now, cancellationToken))
        {
            due++;
            var outcome = entry.IsOperation
                ? await VisitOperationAsync(entry.Id, entry, cancellationToken)
                : await VisitBatchAsync(entry, cancellationToken);
            (settled, rescheduled) = Add((settled, rescheduled), outcome);
        }

        return new SweepReport(scanned, due, settled, rescheduled);
    }

    private static (int, int) Add((int Settled, int Rescheduled) totals, Visit visit) => visit switch
    {
        Visit.Settled => (totals.Settled + 1, totals.Rescheduled),
        Visit.Rescheduled => (totals.Settled, totals.Rescheduled + 1),
        _ => totals,
    };

    private enum Visit
    {
        Kept,
        Settled,
        Rescheduled,
    }

    private async Task<Visit> VisitOperationAsync(string operationId, DeadlineEntry? entry, CancellationToken cancellationToken)
    {
        var operation = await _engine.TickAsync(operationId, cancellationToken);
        var deadline = operation is null ? null : OperationDecider.NextDeadline(operation, _options.CurrentValue);
        if (deadline is null)
        {
            // Gone, or finished with nothing left to send.
            if (entry is not null)
            {
                await _deadlines.RemoveAsync(entry, cancellationToken);
            }

            return Visit.Settled;
        }

        if (entry is not null && _deadlines.BucketOf(deadline.Value.At) == entry.Bucket)
        {
            return Visit.Kept; // not yet due, or its send failed again: the next pass looks again
        }

        if (entry is null && operation!.IndexedFor is { } indexed && indexed <= deadline.Value.At)
        {
            return Visit.Kept; // the creation scan found it, but an entry early enough already exists
        }

        await _deadlines.AddAsync(DeadlineEntry.OperationPrefix + operationId, deadline.Value.At, cancellationToken);
        await _engine.SetIndexedForAsync(operationId, deadline.Value.At, cancellationToken);
        if (entry is not null)
        {
            await _deadlines.RemoveAsync(entry, cancellationToken);
        }

        return Visit.Rescheduled;
    }

    private async Task<Visit> VisitBatchAsync(DeadlineEntry entry, CancellationToken cancellationToken)
    {
        var next = await _services.GetRequiredService<IBatchSweeper>().CheckAsync(entry.Id, cancellationToken);
        if (next is { } at && _deadlines.BucketOf(at) == entry.Bucket)
        {
            return Visit.Kept;
        }

        if (next is { } later)
        {
            await _deadlines.AddAsync(entry.Key, later, cancellationToken);
        }

        await _deadlines.RemoveAsync(entry, cancellationToken);
        return next is null ? Visit.Settled : Visit.Rescheduled;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.CurrentValue.SweepInterval, _time, stoppingToken);
                var report = await SweepOnceAsync(stoppingToken);
                if (report.Settled + report.Rescheduled > 0)
                {
                    LogSwept(_logger, report.Scanned, report.Due, report.Settled, report.Rescheduled);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Storage or broker down: the next pass tries again; nothing is lost in between.
                LogSweepFailed(_logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Sweep: {Scanned} new open operations, {Due} due entries; {Settled} settled, {Rescheduled} rescheduled")]
    private static partial void LogSwept(ILogger logger, int scanned, int due, int settled, int rescheduled);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Sweep failed; retrying at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
