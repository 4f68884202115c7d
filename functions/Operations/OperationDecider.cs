using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Operations;

/// <summary>Something that happened to an operation.</summary>
internal abstract record OperationEvent(DateTimeOffset At);

/// <summary>The command was put on the site's queue.</summary>
internal sealed record CommandSent(string CommandId, DateTimeOffset At) : OperationEvent(At);

/// <summary>The relay answered. <paramref name="Jitter"/> in [0, 1) spreads retries; it comes from outside so the decider stays pure.</summary>
internal sealed record ResultReceived(CommandResult Result, DateTimeOffset At, double Jitter = 0.5) : OperationEvent(At);

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
        var command = Command(operationId, request.SiteId, request.HostId, request.Action, request.Index, attempt, now, options);
        var deliverBy = command.DeliverBy;
        var commandId = command.CommandId;
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
            SendAt = now + options.RedriveAfter,
        };
        return (operation, command);
    }

    /// <summary>
    /// Failures that say nothing about the emulator and may well not happen again. Interrupted means list2
    /// showed the effect did not happen; InterruptedOutcomeUnknown is deliberately not retried.
    /// </summary>
    public static bool IsRetryable(string? errorCode) =>
        errorCode is "Timeout" or "HostUnreachable" or "ListUnreadable" or "UnexpectedOutput" or "Interrupted";

    /// <summary>Exponential backoff with full jitter for attempt <paramref name="attempt"/> (1-based) that just failed.</summary>
    public static TimeSpan RetryDelay(int attempt, double jitter, OperationsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ceiling = Math.Min(options.RetryMaxDelay.Ticks, options.RetryBaseDelay.Ticks * (1L << Math.Clamp(attempt - 1, 0, 30)));
        return TimeSpan.FromTicks((long)(Math.Clamp(jitter, 0, 1) * ceiling));
    }

    private static EmulatorCommand Command(string operationId, string siteId, string hostId, string action, int index, int attempt, DateTimeOffset issuedAt, OperationsOptions options) => new()
    {
        CommandId = $"{operationId}.1.{attempt}",
        OperationId = operationId,
        SiteId = siteId,
        HostId = hostId,
        Action = action,
        Index = index,
        IssuedAt = issuedAt,
        DeliverBy = issuedAt + options.DeliveryTimeout,
        ExecutionTimeout = options.ExecutionTimeoutFor(action),
    };

    public static Operation? Decide(Operation operation, OperationEvent @event, OperationsOptions? options = null) => @event switch
    {
        CommandSent sent => OnSent(operation, sent),
        ResultReceived received => OnResult(operation, received, options ?? new OperationsOptions()),
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
            ? operation with { Status = OperationStatus.Dispatched, DispatchedAt = sent.At, UpdatedAt = sent.At, PendingCommand = null, SendAt = null }
            : operation with { PendingCommand = null, SendAt = null, UpdatedAt = sent.At };
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
            SendAt = null,
        };
    }

    private static Operation? OnResult(Operation operation, ResultReceived received, OperationsOptions options)
    {
        var result = received.Result;
        if (operation.Status.IsTerminal() || result.CommandId != operation.CommandId)
        {
            return null;
        }

        if (result.Outcome == CommandOutcome.Failed && IsRetryable(result.ErrorCode) && operation.Attempt < options.MaxAttempts)
        {
            // A new attempt gets a new command id, so a late answer to the old one is recognised as stale.
            var attempt = operation.Attempt + 1;
            var sendAt = received.At + RetryDelay(operation.Attempt, received.Jitter, options);
            var command = Command(operation.Id, operation.SiteId, operation.HostId, operation.Action, operation.Index, attempt, sendAt, options);
            return operation with
            {
                Status = OperationStatus.Pending,
                Attempt = attempt,
                CommandId = command.CommandId,
                UpdatedAt = received.At,
                DeliverBy = command.DeliverBy,
                AnswerBy = command.DeliverBy + command.ExecutionTimeout + options.AnswerGrace,
                PendingCommand = command,
                SendAt = sendAt,
                ExitCode = result.ExitCode,
                Output = result.Output,
                ErrorCode = result.ErrorCode,
                Error = $"Attempt {operation.Attempt} failed, retrying at {sendAt:O}: {result.Error}",
            };
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
            ErrorCode = result.Outcome == CommandOutcome.Succeeded ? null : result.ErrorCode,
            Error = result.Outcome == CommandOutcome.Succeeded ? null : result.Error,
            PendingCommand = null,
            SendAt = null,
        };
    }
}
