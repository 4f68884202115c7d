using System.Diagnostics;
using System.Text.Json;
using LdFleet.Functions.Api;
using LdFleet.Functions.Batches.Orchestration;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Orchestration;
using LdFleet.Protocol.Telemetry;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Batches;

/// <summary>Batch tuning.</summary>
internal sealed class BatchOptions
{
    public const string SectionName = "Batches";

    /// <summary>
    /// Child ends one generation of a batch's orchestration handles before it continues as new: bounds its history
    /// (about five events per child end) so replays stay cheap whatever the batch size.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(10, 2000, ErrorMessage = "Batches:EndsPerGeneration must be between 10 and 2000.")]
    public int EndsPerGeneration { get; set; } = 300;
}

/// <summary>
/// What the API does with batches: records a batch and its targets, starts its orchestration, reads its progress
/// (the orchestration's custom status: one read, whatever the batch size) and cancels it.
/// </summary>
internal sealed partial class BatchService
{
    private readonly DurableClientScope _durable;
    private readonly BatchStore _store;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<OperationsOptions> _operations;
    private readonly IOptionsMonitor<BatchOptions> _options;
    private readonly ILogger<BatchService> _logger;

    public BatchService(DurableClientScope durable, BatchStore store, TimeProvider time, IOptionsMonitor<OperationsOptions> operations, IOptionsMonitor<BatchOptions> options, ILogger<BatchService> logger)
    {
        _durable = durable;
        _store = store;
        _time = time;
        _operations = operations;
        _options = options;
        _logger = logger;
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

        using var span = FleetTelemetry.Source.StartActivity("batch start", ActivityKind.Internal);
        var (traceParent, traceState) = TraceContext.Capture(span ?? Activity.Current);

        // The rows first: the orchestration reads its targets from them.
        await _store.CreateAsync(batch, items, cancellationToken);
        var input = new BatchInput
        {
            BatchId = batch.Id,
            Workflow = batch.Workflow,
            Parameters = new Dictionary<string, string>(batch.Parameters, StringComparer.Ordinal),
            Steps = request.Steps is null ? null : [.. request.Steps],
            Total = batch.Total,
            MaxConcurrency = concurrency,
            MaxConcurrencyPerHost = perHost,
            MaxErrors = errors,
            TargetsPerHost = items.GroupBy(i => i.SiteId + "/" + i.HostId).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            CreatedBy = createdBy,
            TraceParent = traceParent,
            TraceState = traceState,
            Settings = _operations.CurrentValue,
            EndsPerGeneration = _options.CurrentValue.EndsPerGeneration,
        };
        await _durable.Client.ScheduleNewOrchestrationInstanceAsync(TaskNames.Batch, input, new StartOrchestrationOptions(batch.Id), cancellationToken);
        LogCreated(_logger, batch.Id, batch.Workflow, batch.Total, batch.MaxConcurrency.ToString(), batch.MaxErrors.ToString());
        return batch;
    }

    /// <summary>The batch: its row, with the live progress of its orchestration while it runs.</summary>
    public async Task<Batch?> GetAsync(string batchId, CancellationToken cancellationToken)
    {
        var batch = await _store.GetAsync(batchId, cancellationToken);
        if (batch is null || batch.Status.IsTerminal())
        {
            return batch;
        }

        var instance = await _durable.Client.GetInstanceAsync(batchId, getInputsAndOutputs: false, cancellationToken);
        if (instance?.ReadCustomStatusAs<BatchProgressView>() is { } progress)
        {
            batch = batch with
            {
                Status = progress.Status,
                Counts = progress.Counts,
                StopReason = progress.StopReason,
                CancelRequested = progress.CancelRequested,
                UpdatedAt = instance.LastUpdatedAt,
            };
        }

        if (instance is { RuntimeStatus: OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated })
        {
            batch = batch with
            {
                Status = BatchStatus.Failed,
                StopReason = $"The batch's orchestration {(instance.RuntimeStatus == OrchestrationRuntimeStatus.Terminated ? "was terminated" : "failed: " + instance.FailureDetails?.ErrorMessage)}.",
                CompletedAt = instance.LastUpdatedAt,
            };
        }

        return batch;
    }

    public Task<ListPage<BatchItem>> ListItemsAsync(string batchId, PageRequest page, CancellationToken cancellationToken) =>
        _store.ListItemsAsync(batchId, page, cancellationToken);

    /// <summary>Stops new children and cancels the running ones. Returns null if there is no such batch.</summary>
    public async Task<Batch?> CancelAsync(string batchId, CancellationToken cancellationToken)
    {
        var batch = await GetAsync(batchId, cancellationToken);
        if (batch is null || batch.Status.IsTerminal() || batch.CancelRequested)
        {
            return batch;
        }

        await _durable.Client.RaiseEventAsync(batchId, BatchEvents.Cancel, new StopRequest(StopKind.Cancel), cancellationToken);
        LogCancelRequested(_logger, batchId);
        return batch with { CancelRequested = true, Status = BatchStatus.Cancelling, StopReason = batch.StopReason ?? "Cancelled by request." };
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Batch {BatchId}: {Workflow} over {Total} emulators, concurrency {MaxConcurrency}, max errors {MaxErrors}")]
    private static partial void LogCreated(ILogger logger, string batchId, string workflow, int total, string maxConcurrency, string maxErrors);

    [LoggerMessage(EventId = 2205, Level = LogLevel.Information, Message = "Batch {BatchId}: cancel requested")]
    private static partial void LogCancelRequested(ILogger logger, string batchId);
}
