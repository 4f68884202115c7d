using System.Collections.Concurrent;
using System.Diagnostics;
using Azure;
using LdFleet.Functions.Operations.Deadlines;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Functions.Telemetry;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Telemetry;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Operations;

/// <summary>Who started an operation, and on behalf of which batch.</summary>
internal sealed record StartContext(string? OperationId = null, string? BatchId = null, int? BatchItem = null, string? CreatedBy = null);

/// <summary>Told when an operation that belongs to a batch has finished.</summary>
internal interface IBatchChildObserver
{
    Task ChildFinishedAsync(Operation operation, CancellationToken cancellationToken);
}

/// <summary>
/// The driver: loads an operation, lets the decider compute the next state, writes it with the row's ETag
/// (another instance won if the write fails: reload and decide again), then performs the effects the state
/// records (the outbox) and records that they were performed. A crash anywhere leaves a row that says what is
/// still owed; the sweep finishes the job, and command ids make repeats harmless.
/// </summary>
/// <remarks>
/// Storage economy: rows written by this instance are cached with their ETags, so the common path writes
/// without reading first (a stale cache entry only costs the 412 and a read). A single-command operation
/// costs: insert, send, record-sent, record-result, plus the results message's receive and delete.
/// </remarks>
internal sealed partial class OperationEngine
{
    // Slack beyond the delivery deadline before the broker may drop the message; the relay answers late
    // commands as Expired, which is more useful than a silent broker expiry.
    private static readonly TimeSpan MessageTtlSlack = TimeSpan.FromMinutes(5);
    private const int MaxConflictRetries = 20;

    private readonly OperationStore _store;
    private readonly DeadlineIndex _deadlines;
    private readonly IMessageQueueFactory _queues;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<OperationsOptions> _options;
    private readonly CrashPoints _crash;
    private readonly IServiceProvider _services;
    private readonly CloudMetrics _metrics;
    private readonly ILogger<OperationEngine> _logger;
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 50_000 });
    private readonly SemaphoreSlim[] _gates = [.. Enumerable.Range(0, 512).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly ConcurrentDictionary<string, Lazy<Task<IMessageQueue>>> _siteQueues = new(StringComparer.Ordinal);

    public OperationEngine(
        OperationStore store,
        DeadlineIndex deadlines,
        IMessageQueueFactory queues,
        TimeProvider time,
        IOptionsMonitor<OperationsOptions> options,
        CrashPoints crash,
        IServiceProvider services,
        CloudMetrics metrics,
        ILogger<OperationEngine> logger)
    {
        _store = store;
        _deadlines = deadlines;
        _queues = queues;
        _time = time;
        _options = options;
        _crash = crash;
        _services = services;
        _metrics = metrics;
        _logger = logger;
    }

    private OperationsOptions Options => _options.CurrentValue;

    /// <summary>Records a new operation and sends its first command. Idempotent for a given <see cref="StartContext.OperationId"/>.</summary>
    public async Task<Operation> StartAsync(OperationRequest request, StartContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var now = _time.GetUtcNow();
        var operation = OperationDecider.Start(request, context.OperationId ?? OperationIds.New(now), now, Options, context.BatchId, context.BatchItem, context.CreatedBy);
        using var span = FleetTelemetry.Source.StartActivity("operation start", ActivityKind.Internal);
        Tag(span, operation);
        span?.SetTag(FleetTelemetry.Tags.Workflow, operation.Workflow);
        using var scope = BeginScope(operation);

        // The row remembers the trace of the request that created it, for every command it sends later.
        var (traceParent, traceState) = TraceContext.Capture(span ?? Activity.Current);
        operation = operation with { TraceParent = traceParent, TraceState = traceState };
        var etag = await _store.InsertAsync(operation, cancellationToken);
        if (etag is null)
        {
            // Created before (a batch re-driving a start it may not have finished): carry on from what is there.
            var existing = await _store.ReadAsync(operation.Id, cancellationToken);
            return existing is null ? operation : await PerformAsync(existing.Value.Operation, sweeping: true, cancellationToken);
        }

        _crash.Hit(CrashPoints.AfterStateWrite);
        Remember(operation, etag.Value);
        _metrics.Transition(null, operation);
        LogCreated(_logger, operation.Id, operation.Workflow, operation.SiteId, operation.HostId, operation.Index);

        // The creation scan may already have passed this id's time if the insert itself was slow to land: then
        // nothing would ever look at the operation again, so give it an index entry of its own.
        if (_time.GetUtcNow() - now > Options.CreationScanLag / 2)
        {
            await IndexNowAsync(operation, cancellationToken);
        }

        return await PerformAsync(operation, sweeping: false, cancellationToken);
    }

    public async Task<Operation?> GetAsync(string operationId, CancellationToken cancellationToken) =>
        (await _store.ReadAsync(operationId, cancellationToken))?.Operation;

    /// <summary>Applies a relay's result (only from the site the operation's commands went to) and sends whatever comes next.</summary>
    public async Task<ApplyOutcome> ApplyResultAsync(CommandResult result, double jitter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var scope = _logger.BeginScope(new Dictionary<string, object>
        {
            ["OperationId"] = result.OperationId,
            ["SiteId"] = result.SiteId,
            ["HostId"] = result.HostId,
            ["CommandId"] = result.CommandId,
        });
        Step? answered = null;
        var (outcome, operation) = await ApplyAsync(
            result.OperationId,
            op =>
            {
                var next = op.SiteId == result.SiteId ? OperationDecider.Decide(op, new ResultReceived(result, _time.GetUtcNow(), jitter), Options) : null;
                answered = next is null ? null : op.Steps.FirstOrDefault(s => s.CommandId == result.CommandId);

                // Only a result that changes something counts: a duplicate or late one left on the queue by an
                // earlier run must not trip the crash point before the result under test arrives.
                if (next is not null)
                {
                    _crash.Hit(CrashPoints.BeforeMarkDone);
                }

                return next;
            },
            cancellationToken);
        if (outcome == ApplyOutcome.Applied)
        {
            if (answered is not null)
            {
                _metrics.CommandAnswered(answered, result.Outcome.ToString());
            }

            LogResultApplied(_logger, operation!.Id, result.CommandId, operation.Status);
            await PerformAsync(operation, sweeping: false, cancellationToken);
        }

        return outcome;
    }

    public async Task<ApplyOutcome> ApplyStartedAsync(CommandStarted started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        var (outcome, _) = await ApplyAsync(
            started.OperationId,
            op => op.SiteId == started.SiteId ? OperationDecider.Decide(op, new StepStarted(started.CommandId, started.StartedAt, _time.GetUtcNow()), Options) : null,
            cancellationToken);
        return outcome;
    }

    /// <summary>Cancels the operation: pending steps are dropped and a command running on the relay is told to stop.</summary>
    public async Task<(ApplyOutcome Outcome, Operation? Operation)> CancelAsync(string operationId, string? reason, CancellationToken cancellationToken)
    {
        var (outcome, operation) = await ApplyAsync(operationId, new CancelRequested(_time.GetUtcNow(), reason), cancellationToken);
        if (outcome == ApplyOutcome.Applied)
        {
            LogCancelled(_logger, operationId);
            operation = await PerformAsync(operation!, sweeping: false, cancellationToken);
        }

        return (outcome, operation);
    }

    /// <summary>
    /// The sweep's visit: fires deadlines that passed, sends what is still owed, and returns the operation as it
    /// now stands (null if it does not exist).
    /// </summary>
    public async Task<Operation?> TickAsync(string operationId, CancellationToken cancellationToken)
    {
        var (outcome, operation) = await ApplyAsync(operationId, new DeadlineCheck(_time.GetUtcNow()), cancellationToken);
        if (outcome == ApplyOutcome.NotFound)
        {
            return null;
        }

        if (outcome == ApplyOutcome.Applied)
        {
            LogDeadlineFired(_logger, operationId, operation!.Status);
        }

        return await PerformAsync(operation!, sweeping: true, cancellationToken);
    }

    /// <summary>Expires an operation that outlived the cleanup's limit.</summary>
    public Task<(ApplyOutcome Outcome, Operation? Operation)> ExpireAsync(string operationId, CancellationToken cancellationToken) =>
        ApplyAsync(operationId, new Expired(_time.GetUtcNow()), cancellationToken);

    /// <summary>Records that the operation's earliest index entry is now due at <paramref name="dueAt"/>.</summary>
    public Task SetIndexedForAsync(string operationId, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        ApplyAsync(operationId, op => op.IndexedFor == dueAt ? null : op with { IndexedFor = dueAt }, cancellationToken, confirmUnchanged: false);

    public Task<(ApplyOutcome Outcome, Operation? Operation)> ApplyAsync(string operationId, OperationEvent @event, CancellationToken cancellationToken) =>
        ApplyAsync(operationId, op => OperationDecider.Decide(op, @event, Options), cancellationToken);

    private async Task<(ApplyOutcome Outcome, Operation? Operation)> ApplyAsync(
        string operationId, Func<Operation, Operation?> decide, CancellationToken cancellationToken, bool confirmUnchanged = true)
    {
        // Writes to one operation from this process take turns (the send record and a fast relay's result
        // race otherwise): each then starts from the other's ETag instead of paying a 412 and a read.
        var gate = _gates[(int)((uint)StringComparer.Ordinal.GetHashCode(operationId) % (uint)_gates.Length)];
        (ApplyOutcome Outcome, Operation? Operation, bool Finished) applied;
        await gate.WaitAsync(cancellationToken);
        try
        {
            applied = await ApplyLockedAsync(operationId, decide, cancellationToken, confirmUnchanged);
        }
        finally
        {
            gate.Release();
        }

        if (applied.Finished)
        {
            await FinishedAsync(applied.Operation!, cancellationToken);
        }

        return (applied.Outcome, applied.Operation);
    }

    private async Task<(ApplyOutcome Outcome, Operation? Operation, bool Finished)> ApplyLockedAsync(
        string operationId, Func<Operation, Operation?> decide, CancellationToken cancellationToken, bool confirmUnchanged)
    {
        var cached = _cache.TryGetValue(operationId, out (Operation Operation, ETag ETag) entry) ? entry : ((Operation, ETag)?)null;
        for (var attempt = 0; ; attempt++)
        {
            var fromCache = cached is not null;
            var current = cached ?? await _store.ReadAsync(operationId, cancellationToken);
            if (current is null)
            {
                return (ApplyOutcome.NotFound, null, false);
            }

            var (state, etag) = current.Value;
            var next = decide(state);
            if (next is null)
            {
                if (fromCache && confirmUnchanged)
                {
                    // The cache may be behind another instance's write: only the row can say "nothing to do".
                    cached = null;
                    continue;
                }

                return (ApplyOutcome.Unchanged, state, false);
            }

            next = await IndexIfNeededAsync(next, cancellationToken);
            var written = await _store.TryReplaceAsync(next, etag, cancellationToken);
            if (written is null)
            {
                _cache.Remove(operationId);
                if (attempt >= MaxConflictRetries)
                {
                    throw new InvalidOperationException($"Operation {operationId} kept changing under {MaxConflictRetries} consecutive writes.");
                }

                cached = null;
                continue;
            }

            _crash.Hit(CrashPoints.AfterStateWrite);
            Remember(next, written.Value);
            _metrics.Transition(state, next);
            return (ApplyOutcome.Applied, next, !state.Status.IsTerminal() && next.Status.IsTerminal());
        }
    }

    /// <summary>
    /// Makes sure the sweep will look at the operation in time for its next deadline. Writes an index entry
    /// only when no existing one (or the creation scan) comes early enough; the entry is written before the row
    /// that depends on it, so a crash in between leaves at most a harmless extra entry.
    /// </summary>
    private async Task<Operation> IndexIfNeededAsync(Operation next, CancellationToken cancellationToken)
    {
        if (OperationDecider.NextDeadline(next, Options) is not { } deadline)
        {
            return next;
        }

        var covered = next.IndexedFor ?? next.CreatedAt + Options.CreationScanLag;
        var needed = deadline.Lenient ? deadline.At + Options.CreationScanLag : deadline.At;
        if (needed >= covered)
        {
            return next;
        }

        await _deadlines.AddAsync(DeadlineEntry.OperationPrefix + next.Id, deadline.At, cancellationToken);
        return next with { IndexedFor = deadline.At };
    }

    /// <summary>Performs the outbox if it is due, then records that it was performed.</summary>
    private async Task<Operation> PerformAsync(Operation operation, bool sweeping, CancellationToken cancellationToken)
    {
        if (!OperationDecider.OutboxDue(operation, _time.GetUtcNow(), Options, sweeping))
        {
            return operation;
        }

        var command = operation.Outbox!.Command;
        using var scope = BeginScope(operation, command.CommandId);
        using var span = StartSendSpan(operation, command);
        span?.SetTag("ldfleet.redrive", sweeping);
        try
        {
            var queue = await SiteQueueAsync(operation.SiteId, cancellationToken);
            var ttl = command.DeliverBy - _time.GetUtcNow() + MessageTtlSlack;
            _crash.Hit(CrashPoints.BeforeSend);

            // The command carries the send span's context: the relay's span becomes its child.
            var (traceParent, traceState) = TraceContext.Capture(span);
            var body = ProtocolJson.Serialize(command with { TraceParent = traceParent ?? command.TraceParent, TraceState = traceState ?? command.TraceState });
            await queue.SendAsync(new OutboundMessage(body) { TimeToLive = ttl > TimeSpan.Zero ? ttl : MessageTtlSlack, MessageId = command.CommandId, TraceParent = traceParent }, cancellationToken);
            _crash.Hit(CrashPoints.AfterSend);
            if (sweeping)
            {
                LogRedriven(_logger, operation.Id, command.CommandId);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The broker is down: the outbox keeps the command and the sweep sends it when it can. An index entry
            // makes sure the sweep comes back for it even if the creation scan has already gone past.
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            LogSendFailed(_logger, ex, operation.Id, command.CommandId);
            if (!sweeping)
            {
                await IndexNowAsync(operation, cancellationToken);
            }

            return operation;
        }

        var sentAt = _time.GetUtcNow();
        // The sweep records at once: its sends are not on anyone's critical path, and an unrecorded send would
        // look owed again to the next pass.
        if (Options.SendRecordDelay > TimeSpan.Zero && !sweeping)
        {
            // Most commands are answered well within the delay, and the result clears the outbox itself: the
            // record is then skipped, saving a write per step and taking it off the path to the next step.
            _ = RecordSentLaterAsync(operation.Id, command.CommandId, sentAt);
            return operation;
        }

        return await RecordSentAsync(operation.Id, command.CommandId, sentAt, cancellationToken) ?? operation;
    }

    private async Task<Operation?> RecordSentAsync(string operationId, string commandId, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        // "Already recorded" seen in the cache needs no confirming read: a row only moves forward, and once a
        // command has left the outbox it never comes back, so the row cannot still be waiting for this send.
        var (_, sent) = await ApplyAsync(operationId, op => OperationDecider.Decide(op, new CommandSent(commandId, sentAt), Options), cancellationToken, confirmUnchanged: false);
        return sent;
    }

    private async Task RecordSentLaterAsync(string operationId, string commandId, DateTimeOffset sentAt)
    {
        try
        {
            await Task.Delay(Options.SendRecordDelay, _time);
            await RecordSentAsync(operationId, commandId, sentAt, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Only bookkeeping: the outbox entry stays and the sweep sends it again (the relay dedups).
            LogSendRecordFailed(_logger, ex, operationId, commandId);
        }
    }

    /// <summary>Indexes the operation for its next deadline at once (paths where the creation scan may not cover it).</summary>
    private async Task IndexNowAsync(Operation operation, CancellationToken cancellationToken)
    {
        if (OperationDecider.NextDeadline(operation, Options) is not { } deadline)
        {
            return;
        }

        try
        {
            await _deadlines.AddAsync(DeadlineEntry.OperationPrefix + operation.Id, deadline.At, cancellationToken);
            await SetIndexedForAsync(operation.Id, deadline.At, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogIndexFailed(_logger, ex, operation.Id);
        }
    }

    private async Task FinishedAsync(Operation operation, CancellationToken cancellationToken)
    {
        LogFinished(_logger, operation.Id, operation.Workflow, operation.Status, operation.ErrorCode);
        if (operation.BatchId is null)
        {
            return;
        }

        try
        {
            await _services.GetRequiredService<IBatchChildObserver>().ChildFinishedAsync(operation, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The batch's own periodic check reads unfinished children and catches up.
            LogBatchNoticeFailed(_logger, ex, operation.Id, operation.BatchId);
        }
    }

    /// <summary>
    /// The producer span of a command send. Its parent is the current span when that belongs to the operation's
    /// trace (the API request, or a result's span); otherwise (the sweep, a result handled after a restart) the
    /// trace context stored in the row, so late commands still join the operation's trace.
    /// </summary>
    private static Activity? StartSendSpan(Operation operation, EmulatorCommand command)
    {
        var current = Activity.Current;
        Activity? span;
        if (TraceContext.TryParse(operation.TraceParent, operation.TraceState, out var stored) && current?.TraceId != stored.TraceId)
        {
            var links = current is null ? null : new[] { new ActivityLink(current.Context) };
            span = FleetTelemetry.Source.StartActivity("send " + command.Action, ActivityKind.Producer, stored, links: links);
        }
        else
        {
            span = FleetTelemetry.Source.StartActivity("send " + command.Action, ActivityKind.Producer);
        }

        Tag(span, operation);
        span?.SetTag(FleetTelemetry.Tags.CommandId, command.CommandId);
        span?.SetTag(FleetTelemetry.Tags.Action, command.Action);
        span?.SetTag(FleetTelemetry.Tags.MessagingOperation, "send");
        span?.SetTag(FleetTelemetry.Tags.MessagingDestination, QueueNames.Commands(operation.SiteId));
        return span;
    }

    private static void Tag(Activity? span, Operation operation)
    {
        span?.SetTag(FleetTelemetry.Tags.OperationId, operation.Id);
        span?.SetTag(FleetTelemetry.Tags.SiteId, operation.SiteId);
        span?.SetTag(FleetTelemetry.Tags.HostId, operation.HostId);
    }

    /// <summary>The ids every log line about this operation's work carries.</summary>
    private IDisposable? BeginScope(Operation operation, string? commandId = null)
    {
        var ids = new Dictionary<string, object>
        {
            ["OperationId"] = operation.Id,
            ["SiteId"] = operation.SiteId,
            ["HostId"] = operation.HostId,
        };
        if ((commandId ?? operation.Current?.CommandId) is { } command)
        {
            ids["CommandId"] = command;
        }

        return _logger.BeginScope(ids);
    }

    private void Remember(Operation operation, ETag etag) =>
        _cache.Set(operation.Id, (operation, etag), new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(10) });

    private Task<IMessageQueue> SiteQueueAsync(string siteId, CancellationToken cancellationToken)
    {
        // Queues are created on first use per site and process; creation is idempotent, so a race only costs a call.
        var lazy = _siteQueues.GetOrAdd(siteId, id => new Lazy<Task<IMessageQueue>>(async () =>
        {
            var queue = _queues.Open(QueueNames.Commands(id));
            await queue.EnsureExistsAsync(CancellationToken.None);
            return queue;
        }));
        return WaitAsync(siteId, lazy, cancellationToken);
    }

    private async Task<IMessageQueue> WaitAsync(string siteId, Lazy<Task<IMessageQueue>> lazy, CancellationToken cancellationToken)
    {
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            // Do not cache a failed creation: the next attempt tries again.
            _siteQueues.TryRemove(new KeyValuePair<string, Lazy<Task<IMessageQueue>>>(siteId, lazy));
            throw;
        }
    }

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "{OperationId}: recording that {CommandId} was sent failed; the sweep will send it again")]
    private static partial void LogSendRecordFailed(ILogger logger, Exception exception, string operationId, string commandId);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Error, Message = "{OperationId}: indexing its next deadline failed; only the creation scan can find it now")]
    private static partial void LogIndexFailed(ILogger logger, Exception exception, string operationId);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "{OperationId}: created {Workflow} for site {SiteId} host {HostId} emulator {Index}")]
    private static partial void LogCreated(ILogger logger, string operationId, string workflow, string siteId, string hostId, int? index);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "{OperationId}: result of {CommandId} applied, now {Status}")]
    private static partial void LogResultApplied(ILogger logger, string operationId, string commandId, OperationStatus status);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "{OperationId}: command {CommandId} was still owed; sent it again")]
    private static partial void LogRedriven(ILogger logger, string operationId, string commandId);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "{OperationId}: a deadline passed; now {Status}")]
    private static partial void LogDeadlineFired(ILogger logger, string operationId, OperationStatus status);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "{OperationId}: sending {CommandId} failed; the sweep will send it")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string operationId, string commandId);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "{OperationId}: {Workflow} finished {Status} {ErrorCode}")]
    private static partial void LogFinished(ILogger logger, string operationId, string workflow, OperationStatus status, string? errorCode);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "{OperationId}: cancelled")]
    private static partial void LogCancelled(ILogger logger, string operationId);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "{OperationId}: telling batch {BatchId} it finished failed; the batch check will catch up")]
    private static partial void LogBatchNoticeFailed(ILogger logger, Exception exception, string operationId, string batchId);
}
