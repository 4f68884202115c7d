using LdFleet.Functions.Durable;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Orchestration;
using LdFleet.Functions.Telemetry;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace LdFleet.Functions.Batches.Orchestration;

/// <summary>Reads the next window of a batch's targets from its table.</summary>
internal sealed class ReadBatchItemsActivity(BatchStore store) : TaskActivity<ReadItemsInput, List<ChildTarget>>
{
    public override Task<List<ChildTarget>> RunAsync(TaskActivityContext context, ReadItemsInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return store.ReadTargetsAsync(input.BatchId, input.FromSeq, input.Count, CancellationToken.None);
    }
}

/// <summary>
/// Starts a batch's children: records them on their items and in the operations read model, then schedules one
/// operation orchestration each. Runs at least once: a child that already exists is left alone (its rows too, which
/// its end may already have written), so a repeated start never runs an operation twice.
/// </summary>
internal sealed partial class StartBatchChildrenActivity(
    BatchStore batches, OperationStore operations, DurableTaskClient durable, CloudMetrics metrics, TimeProvider time, ILogger<StartBatchChildrenActivity> logger)
    : TaskActivity<StartChildrenInput, int>
{
    public override async Task<int> RunAsync(TaskActivityContext context, StartChildrenInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 16 };
        var fresh = new System.Collections.Concurrent.ConcurrentBag<BatchChild>();
        await Parallel.ForEachAsync(input.Children, parallel, async (child, ct) =>
        {
            if (await durable.GetInstanceAsync(child.OperationId, getInputsAndOutputs: false, ct) is null)
            {
                fresh.Add(child);
            }
        });
        if (fresh.IsEmpty)
        {
            return 0;
        }

        var now = time.GetUtcNow();
        var children = fresh.OrderBy(c => c.Target.Seq).ToList();
        var inputs = children.Select(c => (c.OperationId, Input: input.Template with
        {
            SiteId = c.Target.SiteId,
            HostId = c.Target.HostId,
            Index = c.Target.Index,
            BatchItem = c.Target.Seq,
            CreatedAt = now,
        })).ToList();

        // Rows first: a child's end always lands after its start was recorded.
        await batches.MarkStartedAsync(input.BatchId, children.Select(c => (c.Target.Seq, c.OperationId)), now, CancellationToken.None);
        await operations.AddStartedAsync(inputs.Select(i => OperationViews.Pending(i.OperationId, i.Input)), CancellationToken.None);
        await Parallel.ForEachAsync(inputs, parallel, async (child, ct) =>
        {
            await durable.ScheduleNewOrchestrationInstanceAsync(TaskNames.Operation, child.Input, new StartOrchestrationOptions(child.OperationId), ct);
            metrics.Transition(child.Input.Workflow, OperationStatus.Pending);
        });
        LogStarted(logger, input.BatchId, children.Count);
        return children.Count;
    }

    [LoggerMessage(EventId = 2206, Level = LogLevel.Information, Message = "Batch {BatchId}: started {Count} children")]
    private static partial void LogStarted(ILogger logger, string batchId, int count);
}

/// <summary>Marks the items of a stopped batch that will never start.</summary>
internal sealed class SkipBatchItemsActivity(BatchStore store, TimeProvider time) : TaskActivity<SkipItemsInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, SkipItemsInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await store.SkipAsync(input.BatchId, input.Seqs, input.FromSeq, input.ToSeq, time.GetUtcNow(), CancellationToken.None);
        return true;
    }
}

/// <summary>Tells a cancelled batch's running children to stop (each one ends Cancelled and reports it).</summary>
internal sealed class CancelBatchChildrenActivity(DurableTaskClient durable) : TaskActivity<CancelChildrenInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, CancelChildrenInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await Parallel.ForEachAsync(input.OperationIds, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, ct) =>
            await durable.RaiseEventAsync(id, OperationEvents.Stop, new StopRequest(StopKind.Cancel, "The batch was cancelled."), ct));
        return true;
    }
}

/// <summary>
/// The batch's safety net: asks its running children whether they ended, for ends that were never reported (a child
/// whose last activity could not reach the batch). A child that never came into being is reported Failed.
/// </summary>
internal sealed class CheckBatchChildrenActivity(DurableTaskClient durable, TimeProvider time) : TaskActivity<CheckChildrenInput, List<ChildEnded>>
{
    // A child whose start was recorded this long ago and still does not exist was lost with its start activity.
    private static readonly TimeSpan LostAfter = TimeSpan.FromMinutes(10);

    public override async Task<List<ChildEnded>> RunAsync(TaskActivityContext context, CheckChildrenInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var ended = new System.Collections.Concurrent.ConcurrentBag<ChildEnded>();
        await Parallel.ForEachAsync(input.Running, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (child, ct) =>
        {
            var instance = await durable.GetInstanceAsync(child.Value, getInputsAndOutputs: true, ct);
            if (instance is null)
            {
                if (time.GetUtcNow() - OperationIds.CreatedAt(child.Value) > LostAfter)
                {
                    ended.Add(new ChildEnded(child.Key, child.Value, OperationStatus.Failed, "StartFailed"));
                }
            }
            else if (instance.IsCompleted)
            {
                var view = OperationViews.FromInstance(instance);
                ended.Add(new ChildEnded(child.Key, child.Value, view.Status, view.ErrorCode));
            }
        });
        return [.. ended.OrderBy(e => e.Seq)];
    }
}

/// <summary>Records how a batch ended on its state row.</summary>
internal sealed partial class RecordBatchActivity(BatchStore store, ILogger<RecordBatchActivity> logger) : TaskActivity<BatchEnd, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, BatchEnd input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await store.RecordEndAsync(input, CancellationToken.None);
        LogFinished(logger, input.BatchId, input.Status, input.Counts.Succeeded, input.Counts.Errors);
        return true;
    }

    [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "Batch {BatchId}: finished {Status}, {Succeeded} succeeded, {Errors} failed")]
    private static partial void LogFinished(ILogger logger, string batchId, BatchStatus status, int succeeded, int errors);
}
