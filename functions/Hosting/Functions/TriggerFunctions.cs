using LdFleet.Functions.Batches.Orchestration;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Operations.Cleanup;
using LdFleet.Functions.RelayResults;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace LdFleet.Functions.Hosting.Functions;

/// <summary>
/// Relay reports from the results queue. A report that could not be applied now (storage or the task hub
/// unreachable) throws, so the host makes the message visible again and moves it to <c>ldfleet-results-poison</c>
/// after <c>queues.maxDequeueCount</c> (host.json); one that is not a relay report at all is set aside there at once.
/// Self-hosted, <see cref="RelayResultsListener"/> does the same.
/// </summary>
internal sealed partial class RelayResultsFunction(RelayReportHandler handler, DurableClientScope durable, IMessageQueueFactory queues, ILogger<RelayResultsFunction> logger)
{
    public const string Name = "RelayResults";

    [Function(Name)]
    public async Task RunAsync([QueueTrigger(QueueNames.Results)] string message, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        durable.Use(client);
        var body = BinaryData.FromString(message);
        if (await handler.HandleAsync(body, cancellationToken) == ReportDisposition.Invalid)
        {
            await queues.OpenDeadLetter(QueueNames.Results).SendAsync(new OutboundMessage(body), cancellationToken);
            LogSetAside(logger);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "A message on the results queue is not a relay report; set aside in the poison queue")]
    private static partial void LogSetAside(ILogger logger);
}

/// <summary>The cleanup on the schedule of app setting <c>CleanupSchedule</c> (NCRONTAB). Self-hosted, <see cref="CleanupTimer"/>.</summary>
internal sealed class CleanupFunction(CleanupJob job, DurableClientScope durable)
{
    public const string Name = "Cleanup";

    [Function(Name)]
    public Task RunAsync([TimerTrigger("%CleanupSchedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        durable.Use(client);
        return job.RunOnceAsync(cancellationToken);
    }
}

/// <summary>
/// <see cref="StartBatchChildrenActivity"/> under the Functions host: an explicit activity function, because only a
/// function's <c>[DurableClient]</c> binding gives the activity the task hub client it starts children with.
/// </summary>
internal sealed class StartBatchChildrenFunction(StartBatchChildrenActivity activity, DurableClientScope durable)
{
    [Function(TaskNames.StartBatchChildren)]
    public Task<int> RunAsync([ActivityTrigger] StartChildrenInput input, [DurableClient] DurableTaskClient client, string instanceId)
    {
        durable.Use(client);
        return activity.RunAsync(new FunctionActivityContext(TaskNames.StartBatchChildren, instanceId), input);
    }

    private sealed class FunctionActivityContext(TaskName name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name => name;

        public override string InstanceId => instanceId;
    }
}
