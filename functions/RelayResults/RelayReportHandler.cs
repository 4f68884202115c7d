using System.Diagnostics;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Orchestration;
using Microsoft.DurableTask.Client;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Telemetry;
using LdFleet.Functions.Telemetry;

namespace LdFleet.Functions.RelayResults;

/// <summary>How a report was handled.</summary>
internal enum ReportDisposition
{
    Applied,

    /// <summary>A repeat of a report already applied, or about an attempt that is no longer current.</summary>
    Duplicate,
    UnknownOperation,

    /// <summary>The operation has ended: nothing waits for the report any more.</summary>
    Finished,

    /// <summary>The report comes from a site other than the one the operation's commands go to.</summary>
    ForeignSite,
    Invalid,
}

/// <summary>
/// Applies what relays report: command answers and start reports become events of the operation's orchestration;
/// heartbeats and inventory go to their tables. Shared by the self-hosted listener and the Functions queue trigger,
/// so both paths have the same semantics. Idempotent: a redelivered report changes nothing.
/// </summary>
/// <remarks>
/// A report is raised only to a running operation whose current step is the command answered, from the site the
/// command went to: reports for unknown or finished operations, stale attempts and other sites are dropped (and
/// counted), never retried, so a stray report cannot loop on the queue.
/// </remarks>
internal sealed partial class RelayReportHandler
{
    private readonly DurableClientScope _durable;
    private readonly InventoryStore _inventory;
    private readonly TimeProvider _time;
    private readonly CloudMetrics _metrics;
    private readonly ILogger<RelayReportHandler> _logger;

    public RelayReportHandler(DurableClientScope durable, InventoryStore inventory, TimeProvider time, CloudMetrics metrics, ILogger<RelayReportHandler> logger)
    {
        _durable = durable;
        _inventory = inventory;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<ReportDisposition> HandleAsync(BinaryData body, CancellationToken cancellationToken)
    {
        var report = ProtocolJson.TryDeserialize<RelayReport>(body, out var error);
        if (report is null)
        {
            LogInvalid(_logger, error ?? "empty");
            _metrics.ReportDropped(nameof(ReportDisposition.Invalid));
            return ReportDisposition.Invalid;
        }

        return report switch
        {
            CommandResult result => await ApplyResultAsync(result, cancellationToken),
            CommandStarted started => await ApplyStartedAsync(started, cancellationToken),
            RelayHeartbeat heartbeat => await RecordHeartbeatAsync(heartbeat, cancellationToken),
            InventoryReport inventory when FleetIds.ValidateSiteId(inventory.SiteId) is not null || FleetIds.ValidateHostId(inventory.HostId) is not null => ReportDisposition.Invalid,
            InventoryReport inventory => await _inventory.ApplyInventoryAsync(inventory, cancellationToken) ? ReportDisposition.Applied : ReportDisposition.Duplicate,
            _ => ReportDisposition.Invalid,
        };
    }

    private async Task<ReportDisposition> RecordHeartbeatAsync(RelayHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        if (FleetIds.ValidateSiteId(heartbeat.SiteId) is not null)
        {
            return ReportDisposition.Invalid;
        }

        await _inventory.RecordHeartbeatAsync(heartbeat, _time.GetUtcNow(), cancellationToken);
        _metrics.Heartbeat(heartbeat.SiteId);
        return ReportDisposition.Applied;
    }

    private async Task<ReportDisposition> ApplyStartedAsync(CommandStarted started, CancellationToken cancellationToken)
    {
        using var span = StartSpan("apply started", started.TraceParent, started.TraceState, started.OperationId, started.CommandId, started.SiteId, started.HostId);
        var target = await TargetAsync(started.OperationId, started.CommandId, started.SiteId, cancellationToken);
        if (target != ReportDisposition.Applied)
        {
            return target;
        }

        await _durable.Client.RaiseEventAsync(started.OperationId, OperationEvents.Started(started.CommandId), new CommandStart(started.CommandId, started.StartedAt), cancellationToken);
        return ReportDisposition.Applied;
    }

    /// <summary>Whether a report about <paramref name="commandId"/> concerns the current step of a running operation of that site.</summary>
    private async Task<ReportDisposition> TargetAsync(string operationId, string commandId, string siteId, CancellationToken cancellationToken)
    {
        var disposition = ReportDisposition.UnknownOperation;
        if (OperationIds.IsWellFormed(operationId) && CommandIds.TryParse(commandId, out var reported) && reported.OperationId == operationId
            && await _durable.Client.GetInstanceAsync(operationId, getInputsAndOutputs: true, cancellationToken) is { } instance)
        {
            disposition = instance.IsCompleted ? ReportDisposition.Finished
                : instance.ReadInputAs<OperationInput>()?.SiteId != siteId ? ReportDisposition.ForeignSite
                : IsCurrentOrNewer(reported, instance.ReadCustomStatusAs<OperationView>()) ? ReportDisposition.Applied
                : ReportDisposition.Duplicate;
        }

        if (disposition != ReportDisposition.Applied)
        {
            _metrics.ReportDropped(disposition.ToString());
        }

        return disposition;
    }

    /// <summary>
    /// The published view lags the orchestration by a checkpoint (a fast relay can answer a command before the episode
    /// that sent it has written its status), so a command newer than the published step counts as current too; only
    /// older attempts and answers to a step already settled are dropped.
    /// </summary>
    private static bool IsCurrentOrNewer(CommandIds.Parsed reported, OperationView? view)
    {
        if (view?.Steps is not { Count: > 0 } steps || !CommandIds.TryParse(steps[^1].CommandId, out var current))
        {
            return true;
        }

        var order = (reported.Step, reported.Attempt).CompareTo((current.Step, current.Attempt));
        return order > 0 || (order == 0 && !steps[^1].Status.IsTerminal());
    }

    /// <summary>A consumer span, the child of the relay span that sent the report (when it carries a context).</summary>
    private static Activity? StartSpan(string name, string? traceParent, string? traceState, string operationId, string commandId, string siteId, string hostId)
    {
        var span = FleetTelemetry.StartFromMessage(name, ActivityKind.Consumer, traceParent, traceState);
        span?.SetTag(FleetTelemetry.Tags.OperationId, operationId);
        span?.SetTag(FleetTelemetry.Tags.CommandId, commandId);
        span?.SetTag(FleetTelemetry.Tags.SiteId, siteId);
        span?.SetTag(FleetTelemetry.Tags.HostId, hostId);
        span?.SetTag(FleetTelemetry.Tags.MessagingOperation, "process");
        span?.SetTag(FleetTelemetry.Tags.MessagingDestination, QueueNames.Results);
        return span;
    }

    private async Task<ReportDisposition> ApplyResultAsync(CommandResult result, CancellationToken cancellationToken)
    {
        using var span = StartSpan("apply result", result.TraceParent, result.TraceState, result.OperationId, result.CommandId, result.SiteId, result.HostId);
        span?.SetTag(FleetTelemetry.Tags.Outcome, result.Outcome.ToString());

        // A relay may only answer for commands sent to its own site.
        var outcome = await TargetAsync(result.OperationId, result.CommandId, result.SiteId, cancellationToken);
        if (outcome == ReportDisposition.Applied)
        {
            await _durable.Client.RaiseEventAsync(result.OperationId, OperationEvents.Answer(result.CommandId), CommandAnswer.From(result), cancellationToken);
        }

        span?.SetTag("ldfleet.apply", outcome.ToString());
        switch (outcome)
        {
            case ReportDisposition.Applied:
                LogApplied(_logger, result.OperationId, result.CommandId);
                break;
            case ReportDisposition.UnknownOperation:
                LogUnknown(_logger, result.OperationId, result.CommandId);
                break;
            default:
                LogDuplicate(_logger, result.OperationId, result.CommandId, outcome);
                break;
        }

        return outcome;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{OperationId}: result of {CommandId} applied")]
    private static partial void LogApplied(ILogger logger, string operationId, string commandId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "{OperationId}: result of {CommandId} dropped ({Reason})")]
    private static partial void LogDuplicate(ILogger logger, string operationId, string commandId, ReportDisposition reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "{OperationId}: result of {CommandId} names no known operation")]
    private static partial void LogUnknown(ILogger logger, string operationId, string commandId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Relay report rejected: {Reason}")]
    private static partial void LogInvalid(ILogger logger, string reason);
}
