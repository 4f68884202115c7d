using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Operations;

/// <summary>Something that happened to an operation.</summary>
internal abstract record OperationEvent(DateTimeOffset At);

/// <summary>The command was put on the site's queue.</summary>
internal sealed record CommandSent(string CommandId, DateTimeOffset At) : OperationEvent(At);

/// <summary>The relay answered.</summary>
internal sealed record ResultReceived(CommandResult Result, DateTimeOffset At) : OperationEvent(At);

/// <summary>The sweep looked at the operation at <paramref name="At"/>.</summary>
internal sealed record DeadlineCheck(DateTimeOffset At) : OperationEvent(At);

/// <summary>
/// The pure core of an operation: no I/O, no clock, no randomness (time and ids arrive with the inputs).
/// Returning null means "no change", which is how duplicates and stale events are absorbed.
/// </summary>
internal static class OperationDecider
{
    public static (Operation Operation, EmulatorCommand Command) Start(StartEmulatorAction request, string operationId, DateTimeOffset now, OperationsOptions options)
    {
        const int attempt = 1;
        var commandId = $"{operationId}.1.{attempt}";
        var deliverBy = now + options.DeliveryTimeout;
        var command = new EmulatorCommand
        {
            CommandId = commandId,
            OperationId = operationId,
            SiteId = request.SiteId,
            HostId = request.HostId,
            Action = request.Action,
            Index = request.Index,
            IssuedAt = now,
            DeliverBy = deliverBy,
            ExecutionTimeout = options.ExecutionTimeoutFor(request.Action),
        };
        var operation = new Operation
        {
            Id = operationId,
            Action = request.Action,
            SiteId = request.SiteId,
            HostId = request.HostId,
            Index = request.Index,
            Status = OperationStatus.Pending,
            Attempt = attempt,
            CommandId = commandId,
            CreatedAt = now,
            UpdatedAt = now,
            DeliverBy = deliverBy,
            AnswerBy = deliverBy + command.ExecutionTimeout + options.AnswerGrace,
            PendingCommand = command,
        };
        return (operation, command);
    }

    public static Operation? Decide(Operation operation, OperationEvent @event) => @event switch
    {
        CommandSent sent => OnSent(operation, sent),
        ResultReceived received => OnResult(operation, received),
        DeadlineCheck check => OnDeadlineCheck(operation, check),
        _ => throw new ArgumentOutOfRangeException(nameof(@event), @event, "Unknown operation event."),
    };

    private static Operation? OnSent(Operation operation, CommandSent sent)
    {
        if (sent.CommandId != operation.CommandId || operation.PendingCommand is null)
        {
            return null;
        }

        // A fast relay can answer before the sender records the send; then only the outbox entry is cleared.
        return operation.Status == OperationStatus.Pending
            ? operation with { Status = OperationStatus.Dispatched, DispatchedAt = sent.At, UpdatedAt = sent.At, PendingCommand = null }
            : operation with { PendingCommand = null, UpdatedAt = sent.At };
    }

    private static Operation? OnDeadlineCheck(Operation operation, DeadlineCheck check)
    {
        if (operation.Status.IsTerminal() || check.At <= operation.AnswerBy)
        {
            return null;
        }

        // Neither a result nor an Expired answer came back: the site was offline past the delivery deadline
        // and its relay never picked the command up, or the relay died with it. The command id is retired, so a
        // late result cannot reopen the operation.
        return operation with
        {
            Status = OperationStatus.TimedOut,
            CompletedAt = check.At,
            UpdatedAt = check.At,
            ErrorCode = "NoAnswer",
            Error = $"No result from site {operation.SiteId} by {operation.AnswerBy:O} (deliver-by {operation.DeliverBy:O}); the relay may be offline.",
            PendingCommand = null,
        };
    }

    private static Operation? OnResult(Operation operation, ResultReceived received)
    {
        var result = received.Result;
        if (operation.Status.IsTerminal() || result.CommandId != operation.CommandId)
        {
            return null;
        }

        var status = result.Outcome switch
        {
            CommandOutcome.Succeeded => OperationStatus.Succeeded,
            CommandOutcome.Expired => OperationStatus.TimedOut,
            _ => OperationStatus.Failed,
        };
        return operation with
        {
            Status = status,
            CompletedAt = received.At,
            UpdatedAt = received.At,
            DispatchedAt = operation.DispatchedAt ?? received.At,
            RelayStartedAt = result.StartedAt,
            ExitCode = result.ExitCode,
            Output = result.Output,
            ErrorCode = result.ErrorCode,
            Error = result.Error,
        };
    }
}
