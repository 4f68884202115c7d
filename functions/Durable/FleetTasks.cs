using LdFleet.Functions.Batches.Orchestration;
using LdFleet.Functions.Operations.Orchestration;
using Microsoft.DurableTask;

namespace LdFleet.Functions.Durable;

/// <summary>
/// Names of the app's orchestrators and activities. They are the function names under the Functions host and the
/// names in the task hub's history, so renaming one strands the instances that use the old name: add a new name
/// (e.g. <c>OperationV2</c>) instead.
/// </summary>
internal static class TaskNames
{
    public const string Operation = "Operation";
    public const string Batch = "Batch";

    public const string SendCommand = "SendCommand";
    public const string RecordOperation = "RecordOperation";
    public const string ReadBatchItems = "ReadBatchItems";
    public const string StartBatchChildren = "StartBatchChildren";
    public const string SkipBatchItems = "SkipBatchItems";
    public const string RecordBatch = "RecordBatch";
}

/// <summary>
/// The one list of orchestrators and activities. Both hostings are fed from it: the Functions worker through
/// <c>ConfigureDurableWorker().AddTasks(FleetTasks.Register)</c>, the self-hosted <c>TaskHubWorker</c> by reading the
/// registry back (<see cref="DurableTaskRegistry.GetOrchestrators"/>).
/// </summary>
internal static class FleetTasks
{
    public static void Register(DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry
            .AddOrchestrator<OperationOrchestrator>(TaskNames.Operation)
            .AddOrchestrator<BatchOrchestrator>(TaskNames.Batch)
            .AddActivity<SendCommandActivity>(TaskNames.SendCommand)
            .AddActivity<RecordOperationActivity>(TaskNames.RecordOperation)
            .AddActivity<ReadBatchItemsActivity>(TaskNames.ReadBatchItems)
            .AddActivity<SkipBatchItemsActivity>(TaskNames.SkipBatchItems)
            .AddActivity<RecordBatchActivity>(TaskNames.RecordBatch);
    }

    /// <summary>
    /// Activities that need a client of the task hub. Self-hosted they join the list; under the Functions host they are
    /// explicit activity functions with a <c>[DurableClient]</c> binding instead (a class-based activity has none).
    /// </summary>
    public static void RegisterClientActivities(DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddActivity<StartBatchChildrenActivity>(TaskNames.StartBatchChildren);
    }
}
