using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.History;
using DurableTask.Core.Query;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Newtonsoft.Json.Linq;
using CoreFailureDetails = DurableTask.Core.FailureDetails;
using CoreQuery = DurableTask.Core.Query.OrchestrationQuery;
using OrchestrationQuery = Microsoft.DurableTask.Client.OrchestrationQuery;
using PurgeResult = Microsoft.DurableTask.Client.PurgeResult;

namespace LdFleet.Functions.Durable.SelfHosted;

/// <summary>
/// The SDK's <see cref="DurableTaskClient"/> over the Azure Storage provider's own client interfaces, so API code
/// talks to one client type whether the Functions host (gRPC client) or this process (self-hosted) runs the hub.
/// Payloads are serialized with the SDK's <see cref="DataConverter"/>, exactly as the shims deserialize them; the
/// provider's TaskHubClient would write Newtonsoft JSON with type names instead.
/// </summary>
internal sealed class StorageDurableTaskClient : DurableTaskClient
{
    // Every status: starting an instance id that exists in any state is refused rather than silently restarting a
    // finished operation (which would run its side effects again).
    private static readonly OrchestrationStatus[] AnyStatus = Enum.GetValues<OrchestrationStatus>();

    private readonly AzureStorageOrchestrationService _service;
    private readonly DataConverter _converter;
    private readonly TimeProvider _time;

    public StorageDurableTaskClient(string name, AzureStorageOrchestrationService service, DataConverter converter, TimeProvider time)
        : base(name)
    {
        _service = service;
        _converter = converter;
        _time = time;
    }

    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(
        TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        var instance = new OrchestrationInstance
        {
            InstanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N"),
            ExecutionId = Guid.NewGuid().ToString("N"),
        };
        var started = new ExecutionStartedEvent(-1, _converter.Serialize(input))
        {
            Name = orchestratorName.Name,
            Version = options?.Version?.Version ?? string.Empty,
            OrchestrationInstance = instance,
            ScheduledStartTime = options?.StartAt?.UtcDateTime,
            Tags = options?.Tags is { Count: > 0 } tags ? new Dictionary<string, string>(tags) : null,
        };
        var dedupe = options?.DedupeStatuses is { } names
            ? [.. names.Select(n => Enum.Parse<OrchestrationStatus>(n, ignoreCase: true))]
            : AnyStatus;
        cancellation.ThrowIfCancellationRequested();
        await _service.CreateTaskOrchestrationAsync(new TaskMessage { Event = started, OrchestrationInstance = instance }, dedupe);
        return instance.InstanceId;
    }

    /// <summary>
    /// Sends the event without looking at the instance first (as the provider does: an event for an unknown or finished
    /// instance is dropped by the worker). Callers that must know check <see cref="GetInstancesAsync(string, bool, CancellationToken)"/>.
    /// </summary>
    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new EventRaisedEvent(-1, _converter.Serialize(eventPayload)) { Name = eventName }, cancellation);

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionSuspendedEvent(-1, reason), cancellation);

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionResumedEvent(-1, reason), cancellation);

    public override async Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        await _service.ForceTerminateTaskOrchestrationAsync(instanceId, _converter.Serialize(options?.Output));
    }

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitAsync(instanceId, getInputsAndOutputs, m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, cancellation);

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitAsync(instanceId, getInputsAndOutputs, m => m.IsCompleted, cancellation);

    public override async Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        var state = await GetStateAsync(instanceId, getInputsAndOutputs, cancellation);
        if (state is null)
        {
            return null;
        }

        var failure = state.FailureDetails;
        if (failure is null && state.OrchestrationStatus == OrchestrationStatus.Failed)
        {
            // The instances table keeps only the failure's text; the structured details are in the history.
            failure = await ReadFailureFromHistoryAsync(state.OrchestrationInstance, cancellation);
        }

        return ToMetadata(state, getInputsAndOutputs, failure);
    }

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) =>
        Pageable.Create<OrchestrationMetadata>(async (continuation, pageSize, cancellation) =>
        {
            var query = new CoreQuery
            {
                RuntimeStatus = filter?.Statuses?.Select(s => (OrchestrationStatus)s).ToList(),
                CreatedTimeFrom = filter?.CreatedFrom?.UtcDateTime,
                CreatedTimeTo = filter?.CreatedTo?.UtcDateTime,
                TaskHubNames = filter?.TaskHubNames?.ToList(),
                InstanceIdPrefix = filter?.InstanceIdPrefix,
                PageSize = pageSize ?? filter?.PageSize ?? OrchestrationQuery.DefaultPageSize,
                ContinuationToken = continuation ?? filter?.ContinuationToken,
                FetchInputsAndOutputs = filter?.FetchInputsAndOutputs ?? false,
            };
            var result = await ((IOrchestrationServiceQueryClient)_service).GetOrchestrationWithQueryAsync(query, cancellation);
            var fetch = query.FetchInputsAndOutputs;
            return new Page<OrchestrationMetadata>([.. result.OrchestrationState.Select(s => ToMetadata(s, fetch, s.FailureDetails))], result.ContinuationToken);
        });

    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        var result = await ((IOrchestrationServicePurgeClient)_service).PurgeInstanceStateAsync(instanceId);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    public override async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        cancellation.ThrowIfCancellationRequested();
        var coreFilter = new PurgeInstanceFilter(
            filter.CreatedFrom?.UtcDateTime ?? DateTime.MinValue,
            filter.CreatedTo?.UtcDateTime,
            filter.Statuses?.Select(s => (OrchestrationStatus)s));
        var result = await ((IOrchestrationServicePurgeClient)_service).PurgeInstanceStateAsync(coreFilter);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task SendAsync(string instanceId, HistoryEvent historyEvent, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var instance = new OrchestrationInstance { InstanceId = instanceId };
        await _service.SendTaskOrchestrationMessageAsync(new TaskMessage { Event = historyEvent, OrchestrationInstance = instance });
    }

    private async Task<OrchestrationState?> GetStateAsync(string instanceId, bool fetchInput, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var states = await _service.GetOrchestrationStateAsync(instanceId, allExecutions: false, fetchInput: fetchInput);
        return states.FirstOrDefault(s => s is not null);
    }

    /// <summary>Polls with a short back-off: the provider's own wait polls every 2 s, too slow for an API answer.</summary>
    private async Task<OrchestrationMetadata> WaitAsync(string instanceId, bool getInputsAndOutputs, Func<OrchestrationMetadata, bool> done, CancellationToken cancellation)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            if (await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation) is { } metadata && done(metadata))
            {
                return metadata;
            }

            await Task.Delay(delay, _time, cancellation);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    private async Task<CoreFailureDetails?> ReadFailureFromHistoryAsync(OrchestrationInstance instance, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var json = await _service.GetOrchestrationHistoryAsync(instance.InstanceId, instance.ExecutionId);
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        // The provider returns its history as Newtonsoft JSON; only the ExecutionCompleted event matters here.
        var completed = JArray.Parse(json).OfType<JObject>()
            .LastOrDefault(e => e.Value<int?>(nameof(HistoryEvent.EventType)) == (int)EventType.ExecutionCompleted);
        return completed?[nameof(ExecutionCompletedEvent.FailureDetails)] is JObject details ? details.ToObject<CoreFailureDetails>() : null;
    }

    private OrchestrationMetadata ToMetadata(OrchestrationState state, bool withPayloads, CoreFailureDetails? failure) =>
        new(state.Name, state.OrchestrationInstance.InstanceId)
        {
            DataConverter = _converter,
            RuntimeStatus = (OrchestrationRuntimeStatus)state.OrchestrationStatus,
            CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(state.CreatedTime, DateTimeKind.Utc)),
            LastUpdatedAt = new DateTimeOffset(DateTime.SpecifyKind(state.LastUpdatedTime, DateTimeKind.Utc)),
            SerializedInput = withPayloads ? state.Input : null,
            SerializedOutput = withPayloads ? state.Output : null,
            SerializedCustomStatus = state.Status,
            Tags = state.Tags is { } tags ? new Dictionary<string, string>(tags) : new Dictionary<string, string>(),
            FailureDetails = ToSdk(failure),
        };

    private static TaskFailureDetails? ToSdk(CoreFailureDetails? details) =>
        details is null ? null : new(details.ErrorType, details.ErrorMessage, details.StackTrace, ToSdk(details.InnerFailure), null);
}
