using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations;
using LdFleet.Protocol.Sites;
using Microsoft.Extensions.Options;
using LdFleet.Protocol.Commands;

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
    private readonly OperationStore _store;
    private readonly InventoryStore _inventory;
    private readonly IOptionsMonitor<OperationsOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RelayReportHandler> _logger;

    public RelayReportHandler(OperationStore store, InventoryStore inventory, TimeProvider time, IOptionsMonitor<OperationsOptions> options, ILogger<RelayReportHandler> logger)
    {
        _options = options;
        _store = store;
        _inventory = inventory;
        _time = time;
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
        return ReportDisposition.Applied;
    }

    private async Task<ReportDisposition> ApplyResultAsync(CommandResult result, CancellationToken cancellationToken)
    {
        // A relay may only answer for commands sent to its own site; the row tells which site that was.
        var (outcome, operation) = await _store.ApplyAsync(
            result.OperationId,
            op => op.SiteId == result.SiteId ? OperationDecider.Decide(op, new ResultReceived(result, _time.GetUtcNow(), Random.Shared.NextDouble()), _options.CurrentValue) : null,
            cancellationToken);

        switch (outcome)
        {
            case ApplyOutcome.Applied:
                LogApplied(_logger, result.OperationId, result.CommandId, operation!.Status);
                return ReportDisposition.Applied;
            case ApplyOutcome.NotFound:
                LogUnknown(_logger, result.OperationId, result.CommandId);
                return ReportDisposition.UnknownOperation;
            default:
                LogDuplicate(_logger, result.OperationId, result.CommandId);
                return ReportDisposition.Duplicate;
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{OperationId}: result of {CommandId} applied, now {Status}")]
    private static partial void LogApplied(ILogger logger, string operationId, string commandId, OperationStatus status);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "{OperationId}: result of {CommandId} ignored (duplicate, stale or from another site)")]
    private static partial void LogDuplicate(ILogger logger, string operationId, string commandId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "{OperationId}: result of {CommandId} names no known operation")]
    private static partial void LogUnknown(ILogger logger, string operationId, string commandId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Relay report rejected: {Reason}")]
    private static partial void LogInvalid(ILogger logger, string reason);
}
