using LdFleet.Functions.Batches;
using LdFleet.Functions.Telemetry;
using Microsoft.DurableTask;

namespace LdFleet.Functions.Operations.Orchestration;

/// <summary>
/// An operation's last activity: writes how it ended to the read models (its operations row, its batch item). Runs at
/// least once; every write is an idempotent upsert.
/// </summary>
internal sealed partial class RecordOperationActivity(
    OperationStore operations, BatchStore batches, CloudMetrics metrics, ILogger<RecordOperationActivity> logger)
    : TaskActivity<OperationOutcome, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, OperationOutcome input)
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
        return true;
    }

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "{OperationId}: {Workflow} finished {Status} {ErrorCode}")]
    private static partial void LogFinished(ILogger logger, string operationId, string workflow, OperationStatus status, string? errorCode);
}
