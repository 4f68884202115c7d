using LdFleet.Functions.Batches;
using LdFleet.Functions.Operations.Exclusivity;
using LdFleet.Functions.Telemetry;
using Microsoft.DurableTask;

namespace LdFleet.Functions.Operations.Orchestration;

/// <summary>
/// An operation's last activity: writes how it ended to the read models (its operations row, its batch item) and hands
/// its emulator on. Returns the operation to wake (the next in the emulator's line), or null. Runs at least once; every
/// write is an idempotent upsert or delete.
/// </summary>
internal sealed partial class RecordOperationActivity(
    OperationStore operations, BatchStore batches, EmulatorLocks locks, CloudMetrics metrics, ILogger<RecordOperationActivity> logger)
    : TaskActivity<OperationOutcome, string?>
{
    public override async Task<string?> RunAsync(TaskActivityContext context, OperationOutcome input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var view = input.View;
        await operations.RecordEndAsync(view, CancellationToken.None);
        if (view.BatchId is { } batchId && input.BatchItem is { } seq)
        {
            await batches.RecordChildEndAsync(batchId, seq, view.Id, view.Status.ToItemStatus(), view.CompletedAt, view.ErrorCode, CancellationToken.None);
        }

        metrics.Transition(view.Workflow, view.Status);
        foreach (var step in view.Steps)
        {
            metrics.CommandAnswered(step);
        }

        LogFinished(logger, view.Id, view.Workflow, view.Status, view.ErrorCode);

        // Last: the row must say the operation ended before the next one may touch the emulator.
        return input.Lock is { } emulator ? await locks.ReleaseAsync(emulator, view.Id, input.Held, CancellationToken.None) : null;
    }

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "{OperationId}: {Workflow} finished {Status} {ErrorCode}")]
    private static partial void LogFinished(ILogger logger, string operationId, string workflow, OperationStatus status, string? errorCode);
}
