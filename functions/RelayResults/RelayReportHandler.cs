using System.Diagnostics;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Telemetry;
using LdFleet.Functions.Telemetry;

namespace LdFleet.Functions.RelayResults;

/// <summary>How a report was handled.</summary>
internal enum ReportDisposition
{
    Applied,
    Duplicate,
    UnknownOperation,
    Invalid,
}

/// <summary>
/// Applies what relays report. Shared by the self-hosted listener and (later) the Functions trigger, so both
/// paths have the same semantics. Idempotent: a redelivered report changes nothing.
/// </summary>
internal sealed partial class RelayReportHandler
{
    private readonly OperationEngine _engine;
    private readonly InventoryStore _inventory;
    private readonly TimeProvider _time;
    private readonly CloudMetrics _metrics;
    private readonly ILogger<RelayReportHandler> _logger;

    public RelayReportHandler(OperationEngine engine, InventoryStore inventory, TimeProvider time, CloudMetrics metrics, ILogger<RelayReportHandler> logger)
    {
        _engine = engine;
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
        return await _engine.ApplyStartedAsync(started, cancellationToken) switch
        {
            ApplyOutcome.Applied => ReportDisposition.Applied,
            ApplyOutcome.NotFound => ReportDisposition.UnknownOperation,
            _ => ReportDisposition.Duplicate,
        };
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

        // A relay may only answer for commands sent to its own site; the engine checks the row's site.
        var outcome = await _engine.ApplyResultAsync(result, Random.Shared.NextDouble(), cancellationToken);
        span?.SetTag("ldfleet.apply", outcome.ToString());
        switch (outcome)
        {
            case ApplyOutcome.Applied:
                LogApplied(_logger, result.OperationId, result.CommandId);
                return ReportDisposition.Applied;
            case ApplyOutcome.NotFound:
                LogUnknown(_logger, result.OperationId, result.CommandId);
                return ReportDisposition.UnknownOperation;
            default:
                LogDuplicate(_logger, result.OperationId, result.CommandId);
                return ReportDisposition.Duplicate;
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{OperationId}: result of {CommandId} applied")]
    private static partial void LogApplied(ILogger logger, string operationId, string commandId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "{OperationId}: result of {CommandId} ignored (duplicate, stale or from another site)")]
    private static partial void LogDuplicate(ILogger logger, string operationId, string commandId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "{OperationId}: result of {CommandId} names no known operation")]
    private static partial void LogUnknown(ILogger logger, string operationId, string commandId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Relay report rejected: {Reason}")]
    private static partial void LogInvalid(ILogger logger, string reason);
}
