using LdFleet.Functions.Durable;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Orchestration;
using LdFleet.Functions.Telemetry;
using Microsoft.DurableTask;

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
/// operation orchestration each under the id the batch chose. Runs at least once: a child that already exists is left
/// alone (its rows too, which its end may already have written), so a repeated start never runs an operation twice.
/// </summary>
/// <remarks>
/// The one activity that needs a client of the task hub. Under the Functions host a class-based activity has no
/// binding to get one from, so there it runs as an explicit activity function with a <c>[DurableClient]</c> binding
/// (<c>Hosting/Functions/StartBatchChildrenFunction.cs</c>); self-hosted it takes the client from the services.
/// </remarks>
internal sealed partial class StartBatchChildrenActivity(
    BatchStore batches, OperationStore operations, DurableClientScope durable, CloudMetrics metrics, TimeProvider time, ILogger<StartBatchChildrenActivity> logger)
    : TaskActivity<StartChildrenInput, int>
{
    public override async Task<int> RunAsync(TaskActivityContext context, StartChildrenInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var client = durable.Client;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 16 };
        var fresh = new System.Collections.Concurrent.ConcurrentBag<BatchChild>();
        await Parallel.ForEachAsync(input.Children, parallel, async (child, ct) =>
        {
            if (await client.GetInstanceAsync(child.OperationId, getInputsAndOutputs: false, ct) is null)
            {
                fresh.Add(child);
            }
        });
        if (fresh.IsEmpty)
        {
            return 0;
        }

        var now = time.GetUtcNow();
        var children = fresh.OrderBy(c => c.Target.Seq).Select(c => (c.OperationId, c.Target.Seq, Input: input.Template with
        {
            SiteId = c.Target.SiteId,
            HostId = c.Target.HostId,
            Index = c.Target.Index,
            BatchItem = c.Target.Seq,
            CreatedAt = now,
        })).ToList();

        // Rows first: a child's end always lands after its start was recorded.
        await batches.MarkStartedAsync(input.BatchId, children.Select(c => (c.Seq, c.OperationId)), now, CancellationToken.None);
        await operations.AddStartedAsync(children.Select(c => OperationViews.Pending(c.OperationId, c.Input)), CancellationToken.None);
        await Parallel.ForEachAsync(children, parallel, async (child, ct) =>
        {
            await client.ScheduleNewOrchestrationInstanceAsync(TaskNames.Operation, child.Input, new StartOrchestrationOptions(child.OperationId), ct);
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
