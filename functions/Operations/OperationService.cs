using System.Diagnostics;
using LdFleet.Functions.Api;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Operations.Exclusivity;
using LdFleet.Functions.Operations.Orchestration;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Functions.Telemetry;
using LdFleet.Protocol.Telemetry;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Operations;

/// <summary>What became of a cancel request.</summary>
internal enum CancelOutcome
{
    /// <summary>The operation was told to stop (or had never started and is now recorded Cancelled).</summary>
    Accepted,

    /// <summary>It had already ended.</summary>
    AlreadyEnded,

    NotFound,
}

/// <summary>
/// What the API does with operations: starts their orchestrations, reads them back, lists and cancels them. The
/// orchestration is the source of truth for an operation's progress; the operations table is the index for listings.
/// </summary>
internal sealed partial class OperationService
{
    /// <summary>How long a cancel waits for the orchestration to confirm, so the answer usually shows the end.</summary>
    private static readonly TimeSpan CancelConfirmWait = TimeSpan.FromSeconds(5);

    private readonly DurableClientScope _durable;
    private readonly OperationStore _store;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<OperationsOptions> _options;
    private readonly CloudMetrics _metrics;
    private readonly EmulatorLocks _locks;
    private readonly ILogger<OperationService> _logger;

    public OperationService(DurableClientScope durable, OperationStore store, EmulatorLocks locks, TimeProvider time, IOptionsMonitor<OperationsOptions> options, CloudMetrics metrics, ILogger<OperationService> logger)
    {
        _durable = durable;
        _store = store;
        _locks = locks;
        _time = time;
        _options = options;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Starts an operation: its row first (so a failed start leaves evidence, never an invisible orchestration), then the orchestration.</summary>
    public async Task<OperationView> StartAsync(OperationRequest request, string? createdBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = _time.GetUtcNow();
        var id = OperationIds.New(now);
        using var span = FleetTelemetry.Source.StartActivity("operation start", ActivityKind.Internal);
        span?.SetTag(FleetTelemetry.Tags.OperationId, id);
        span?.SetTag(FleetTelemetry.Tags.SiteId, request.SiteId);
        span?.SetTag(FleetTelemetry.Tags.HostId, request.HostId);
        span?.SetTag(FleetTelemetry.Tags.Workflow, request.Workflow);

        // Every command the operation sends joins the trace of the request that started it.
        var (traceParent, traceState) = TraceContext.Capture(span ?? Activity.Current);
        var input = OperationInput.From(request, now, _options.CurrentValue, createdBy) with { TraceParent = traceParent, TraceState = traceState };
        var view = OperationViews.Pending(id, input);
        await _store.AddStartedAsync(view, cancellationToken);
        if (EmulatorLock.For(input) is { } emulator)
        {
            // Its place in the emulator's line is its arrival: an operation accepted later cannot overtake it.
            await _locks.JoinAsync(emulator, id, cancellationToken);
        }

        await _durable.Client.ScheduleNewOrchestrationInstanceAsync(TaskNames.Operation, input, new StartOrchestrationOptions(id), cancellationToken);
        _metrics.Transition(request.Workflow, OperationStatus.Pending);
        LogCreated(_logger, id, request.Workflow, request.SiteId, request.HostId, request.Index);
        return view;
    }

    public async Task<OperationView?> GetAsync(string operationId, CancellationToken cancellationToken)
    {
        var instance = await _durable.Client.GetInstanceAsync(operationId, getInputsAndOutputs: true, cancellationToken);
        if (instance is not null)
        {
            return OperationViews.FromInstance(instance);
        }

        // No orchestration: its start never happened (the row is all there is), or it is gone with its row.
        return await _store.ReadAsync(operationId, cancellationToken) is { } row ? OperationViews.FromRowWithoutInstance(row, _time.GetUtcNow()) : null;
    }

    /// <summary>
    /// A page of operations. Rows of unfinished operations are refreshed from their orchestrations (their rows only
    /// say Pending), and a filter on an unfinished status is applied to that live state.
    /// </summary>
    public async Task<ListPage<OperationView>> ListAsync(OperationQuery query, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var found = await _store.ListAsync(query, page, cancellationToken);
        var now = _time.GetUtcNow();
        var items = new OperationView[found.Items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Length), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var row = found.Items[i];
            items[i] = row.Status.IsTerminal()
                ? row
                : await _durable.Client.GetInstanceAsync(row.Id, getInputsAndOutputs: true, ct) is { } instance
                    ? OperationViews.FromInstance(instance, row)
                    : OperationViews.FromRowWithoutInstance(row, now);
        });
        var live = query.Status is { } status && !status.IsTerminal() ? items.Where(o => o.Status == status) : items;
        return new ListPage<OperationView>([.. live], found.Next);
    }

    /// <summary>The operation once it has ended, or null if it has not within <paramref name="wait"/>.</summary>
    public async Task<OperationView?> WaitForEndAsync(string operationId, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            var instance = await _durable.Client.WaitForInstanceCompletionAsync(operationId, getInputsAndOutputs: true, timeout.Token);
            return OperationViews.FromInstance(instance);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Asks the operation to stop: a step not yet sent is dropped, a command on the relay is told to stop.</summary>
    public async Task<(CancelOutcome Outcome, OperationView? Operation)> CancelAsync(string operationId, string? reason, CancellationToken cancellationToken)
    {
        var instance = await _durable.Client.GetInstanceAsync(operationId, getInputsAndOutputs: true, cancellationToken);
        if (instance is null)
        {
            var row = await _store.ReadAsync(operationId, cancellationToken);
            if (row is null)
            {
                return (CancelOutcome.NotFound, null);
            }

            if (row.Status.IsTerminal())
            {
                return (CancelOutcome.AlreadyEnded, row);
            }

            // Recorded but never started (its start failed): nothing runs, so the cancel is complete at once.
            var now = _time.GetUtcNow();
            var cancelled = row with { Status = OperationStatus.Cancelled, ErrorCode = "Cancelled", Error = "Cancelled by request.", CompletedAt = now, UpdatedAt = now };
            await _store.RecordEndAsync(cancelled, cancellationToken);
            return (CancelOutcome.Accepted, cancelled);
        }

        if (instance.IsCompleted)
        {
            return (CancelOutcome.AlreadyEnded, OperationViews.FromInstance(instance));
        }

        await _durable.Client.RaiseEventAsync(operationId, OperationEvents.Stop, new StopRequest(StopKind.Cancel, reason), cancellationToken);
        LogCancelRequested(_logger, operationId);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(CancelConfirmWait);
        try
        {
            instance = await _durable.Client.WaitForInstanceCompletionAsync(operationId, getInputsAndOutputs: true, wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Still stopping (a busy hub): answer with what is known now; the operation ends Cancelled shortly.
            instance = await _durable.Client.GetInstanceAsync(operationId, getInputsAndOutputs: true, cancellationToken) ?? instance;
        }

        var view = OperationViews.FromInstance(instance);

        // It may have ended on its own between the look and the event: then the cancel changed nothing.
        return (instance.IsCompleted && view.Status != OperationStatus.Cancelled ? CancelOutcome.AlreadyEnded : CancelOutcome.Accepted, view);
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "{OperationId}: created {Workflow} for site {SiteId} host {HostId} emulator {Index}")]
    private static partial void LogCreated(ILogger logger, string operationId, string workflow, string siteId, string hostId, int? index);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "{OperationId}: cancel requested")]
    private static partial void LogCancelRequested(ILogger logger, string operationId);
}
