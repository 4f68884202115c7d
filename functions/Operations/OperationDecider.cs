using System.Collections.Immutable;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Operations;

/// <summary>Something that happened to an operation.</summary>
internal abstract record OperationEvent(DateTimeOffset At);

/// <summary>The command was put on the site's queue.</summary>
internal sealed record CommandSent(string CommandId, DateTimeOffset At) : OperationEvent(At);

/// <summary>The relay began executing a long command.</summary>
internal sealed record StepStarted(string CommandId, DateTimeOffset StartedAt, DateTimeOffset At) : OperationEvent(At);

/// <summary>The relay answered. <paramref name="Jitter"/> in [0, 1) spreads retries; it comes from outside so the decider stays pure.</summary>
internal sealed record ResultReceived(CommandResult Result, DateTimeOffset At, double Jitter = 0.5) : OperationEvent(At);

/// <summary>A deadline of the operation may have passed (the sweep looked at it).</summary>
internal sealed record DeadlineCheck(DateTimeOffset At) : OperationEvent(At);

/// <summary>Someone asked to stop the operation.</summary>
internal sealed record CancelRequested(DateTimeOffset At, string? Reason = null) : OperationEvent(At);

/// <summary>The operation outlived the cleanup's patience without finishing.</summary>
internal sealed record Expired(DateTimeOffset At) : OperationEvent(At);

/// <summary>
/// The pure core of the engine: no I/O, no clock, no randomness (time and ids arrive with the inputs). Returning
/// null means "no change", which is how duplicates and stale events are absorbed.
/// </summary>
internal static class OperationDecider
{
    public static Operation Start(OperationRequest request, string operationId, DateTimeOffset now, OperationsOptions options, string? batchId = null, int? batchItem = null, string? createdBy = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var operation = new Operation
        {
            Id = operationId,
            Workflow = request.Workflow,
            SiteId = request.SiteId,
            HostId = request.HostId,
            Index = request.Index,
            Parameters = (request.Parameters ?? ImmutableDictionary<string, string>.Empty).ToImmutableDictionary(StringComparer.Ordinal),
            Script = request.Steps is null ? [] : [.. request.Steps.Select(s => s with { Parameters = s.Parameters?.ToImmutableDictionary(StringComparer.Ordinal) })],
            Status = OperationStatus.Pending,
            CreatedAt = now,
            UpdatedAt = now,
            BatchId = batchId,
            BatchItem = batchItem,
            CreatedBy = createdBy,
        };
        return Advance(operation, now, options);
    }

    public static Operation? Decide(Operation operation, OperationEvent @event, OperationsOptions options)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(options);
        return @event switch
        {
            CommandSent sent => OnSent(operation, sent),
            StepStarted started => OnStarted(operation, started),
            ResultReceived received => OnResult(operation, received, options),
            DeadlineCheck check => OnDeadline(operation, check, options),
            CancelRequested cancel => OnCancel(operation, cancel, options),
            Expired expired => OnExpired(operation, expired),
            _ => throw new ArgumentOutOfRangeException(nameof(@event), @event, "Unknown operation event."),
        };
    }

    /// <summary>Exponential backoff with full jitter for attempt <paramref name="attempt"/> (1-based) that just failed.</summary>
    public static TimeSpan RetryDelay(int attempt, double jitter, OperationsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ceiling = Math.Min(options.RetryMaxDelay.Ticks, options.RetryBaseDelay.Ticks * (1L << Math.Clamp(attempt - 1, 0, 30)));
        return TimeSpan.FromTicks((long)(Math.Clamp(jitter, 0, 1) * ceiling));
    }

    /// <summary>
    /// The next moment the operation needs attention, and whether it may be late: an immediate send is performed
    /// by whoever wrote it, so its re-check is only a safety net that the creation scan can cover.
    /// </summary>
    public static (DateTimeOffset At, bool Lenient)? NextDeadline(Operation operation, OperationsOptions options)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(options);
        (DateTimeOffset At, bool Lenient)? next = operation.Outbox switch
        {
            { Scheduled: true } outbox => (outbox.SendAt, false),
            { } => (operation.UpdatedAt + options.RedriveAfter, true),
            null => null,
        };
        if (!operation.Status.IsTerminal() && operation.Current is { } step && !step.Status.IsTerminal() && (next is null || step.AnswerBy < next.Value.At))
        {
            next = (step.AnswerBy, false);
        }

        return next;
    }

    /// <summary>
    /// Whether the outbox should be sent now. The writer sends immediate entries itself; the sweep
    /// (<paramref name="sweeping"/>) sends scheduled ones when due and immediate ones the writer evidently never sent.
    /// </summary>
    public static bool OutboxDue(Operation operation, DateTimeOffset now, OperationsOptions options, bool sweeping)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(options);
        return operation.Outbox switch
        {
            null => false,
            { Scheduled: true } outbox => now >= outbox.SendAt,
            _ => !sweeping || now >= operation.UpdatedAt + options.RedriveAfter,
        };
    }

    private static Operation? OnSent(Operation operation, CommandSent sent)
    {
        if (operation.Outbox?.Command.CommandId != sent.CommandId)
        {
            return null;
        }

        var next = operation with { Outbox = null, UpdatedAt = sent.At };
        if (next.Current is { Status: OperationStatus.Pending } step && step.CommandId == sent.CommandId)
        {
            next = WithCurrent(next, step with { Status = OperationStatus.Dispatched, DispatchedAt = sent.At });
        }

        return WithStatus(next);
    }

    private static Operation? OnStarted(Operation operation, StepStarted started)
    {
        if (operation.Status.IsTerminal() || operation.Current is not { } step || step.CommandId != started.CommandId
            || step.Status is not (OperationStatus.Pending or OperationStatus.Dispatched))
        {
            return null;
        }

        var next = operation with
        {
            Outbox = operation.Outbox?.Command.CommandId == started.CommandId ? null : operation.Outbox,
            UpdatedAt = started.At,
        };
        return WithStatus(WithCurrent(next, step with { Status = OperationStatus.Running, StartedAt = started.StartedAt, DispatchedAt = step.DispatchedAt ?? started.At }));
    }

    private static Operation? OnResult(Operation operation, ResultReceived received, OperationsOptions options)
    {
        var result = received.Result;
        if (operation.Status.IsTerminal() || operation.Current is not { } step || step.Status.IsTerminal() || result.CommandId != step.CommandId)
        {
            return null;
        }

        var at = received.At;
        var next = operation with
        {
            Outbox = operation.Outbox?.Command.CommandId == step.CommandId ? null : operation.Outbox,
            UpdatedAt = at,
        };
        var policy = ActionPolicy.For(step.Action, options);
        if (result.Outcome == CommandOutcome.Failed && policy.RetryOn.Contains(result.ErrorCode ?? "") && step.Attempt < policy.MaxAttempts)
        {
            // A new attempt gets a new command id, so a late answer to the old one is recognised as stale.
            var sendAt = at + RetryDelay(step.Attempt, received.Jitter, options);
            var retry = NewAttempt(next, step.Name, step.Action, step.Index, step.Parameters, next.Steps.Length, step.Attempt + 1, sendAt, options) with
            {
                ExitCode = result.ExitCode,
                Output = Truncate(result.Output),
                ErrorCode = result.ErrorCode,
                Error = $"Attempt {step.Attempt} failed ({result.ErrorCode}), retrying at {sendAt:O}: {result.Error}",
            };
            next = WithCurrent(next, retry) with { Outbox = new Outbox { Command = CommandFor(next, retry, options), SendAt = sendAt, Scheduled = sendAt > at } };
            return WithStatus(next);
        }

        var status = result.Outcome switch
        {
            CommandOutcome.Succeeded => OperationStatus.Succeeded,
            CommandOutcome.Expired => OperationStatus.TimedOut,
            _ => OperationStatus.Failed,
        };
        var done = step with
        {
            Status = status,
            DispatchedAt = step.DispatchedAt ?? at,
            StartedAt = result.StartedAt ?? step.StartedAt,
            CompletedAt = at,
            ExitCode = result.ExitCode,
            Output = Truncate(result.Output),
            ErrorCode = status == OperationStatus.Succeeded ? null : result.ErrorCode,
            Error = status == OperationStatus.Succeeded ? null : result.Error,
            Data = result.Data.ToImmutableDictionary(StringComparer.Ordinal),
        };
        next = WithCurrent(next, done);

        // The emulator a provision created is the target of everything after it.
        if (status == OperationStatus.Succeeded && step.Name == "create" && next.Workflow == WorkflowCatalog.Provision
            && done.Data.TryGetValue("index", out var created) && int.TryParse(created, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            next = next with { Index = index };
        }

        return Advance(next, at, options);
    }

    private static Operation? OnDeadline(Operation operation, DeadlineCheck check, OperationsOptions options)
    {
        if (operation.Status.IsTerminal() || operation.Current is not { } step || step.Status.IsTerminal() || check.At <= step.AnswerBy)
        {
            return null;
        }

        // Neither a result nor an Expired answer came back: the site was offline past the delivery deadline and
        // never took the command, or the relay died with it. Not retried: a lost answer may hide an executed
        // command, and the command id is retired so a late answer cannot reopen the step.
        var timedOut = step with
        {
            Status = OperationStatus.TimedOut,
            CompletedAt = check.At,
            ErrorCode = "NoAnswer",
            Error = $"No result from site {operation.SiteId} by {step.AnswerBy:O} (deliver-by {step.DeliverBy:O}); the relay may be offline.",
        };
        var next = operation with
        {
            Outbox = operation.Outbox?.Command.CommandId == step.CommandId ? null : operation.Outbox,
            UpdatedAt = check.At,
        };
        return Advance(WithCurrent(next, timedOut), check.At, options);
    }

    private static Operation? OnCancel(Operation operation, CancelRequested cancel, OperationsOptions options)
    {
        if (operation.Status.IsTerminal())
        {
            return null;
        }

        var at = cancel.At;
        Outbox? outbox = null;
        var next = operation;
        if (operation.Current is { } step && !step.Status.IsTerminal())
        {
            // The relay may already hold the command: tell it to stop. A retry still waiting for its time, or a
            // command never sent, needs no message: dropping the outbox entry is enough.
            var mayBeOnRelay = step.Status is OperationStatus.Dispatched or OperationStatus.Running
                || (step.Status == OperationStatus.Pending && operation.Outbox is { Scheduled: false });
            if (mayBeOnRelay)
            {
                var command = new EmulatorCommand
                {
                    CommandId = $"{operation.Id}.cancel",
                    OperationId = operation.Id,
                    SiteId = operation.SiteId,
                    HostId = operation.HostId,
                    Action = EmulatorActions.Cancel,
                    Index = step.Index,
                    Parameters = new Dictionary<string, string> { [CommandParameters.CommandId] = step.CommandId },
                    IssuedAt = at,
                    DeliverBy = at + options.DeliveryTimeout,
                    ExecutionTimeout = TimeSpan.FromSeconds(30),
                };
                outbox = new Outbox { Command = command, SendAt = at };
            }

            next = WithCurrent(next, step with { Status = OperationStatus.Cancelled, CompletedAt = at, ErrorCode = "Cancelled", Error = "Cancelled by request." });
        }

        return next with
        {
            Status = OperationStatus.Cancelled,
            Outbox = outbox,
            UpdatedAt = at,
            CompletedAt = at,
            CancelRequestedAt = at,
            ErrorCode = "Cancelled",
            Error = string.IsNullOrWhiteSpace(cancel.Reason) ? "Cancelled by request." : $"Cancelled by request: {cancel.Reason}",
        };
    }

    private static Operation? OnExpired(Operation operation, Expired expired)
    {
        if (operation.Status.IsTerminal())
        {
            return null;
        }

        var next = operation.Current is { } step && !step.Status.IsTerminal()
            ? WithCurrent(operation, step with { Status = OperationStatus.TimedOut, CompletedAt = expired.At, ErrorCode = "Expired", Error = "Expired by the cleanup job." })
            : operation;
        return next with
        {
            Status = OperationStatus.TimedOut,
            Outbox = null,
            UpdatedAt = expired.At,
            CompletedAt = expired.At,
            ErrorCode = "Expired",
            Error = "The operation did not finish within the cleanup job's limit and was expired.",
        };
    }

    /// <summary>Plans the next step (or the end) once nothing is in flight.</summary>
    private static Operation Advance(Operation operation, DateTimeOffset now, OperationsOptions options)
    {
        switch (WorkflowCatalog.Next(operation))
        {
            case RunStep run:
                var step = NewAttempt(operation, run.Name, run.Action, run.Index, run.Parameters, operation.Steps.Length + 1, 1, now, options);
                var next = operation with { Steps = operation.Steps.Add(step), UpdatedAt = now };
                return WithStatus(next with { Outbox = new Outbox { Command = CommandFor(next, step, options), SendAt = now } });
            case Finish finish:
                return operation with
                {
                    Status = OperationStatus.Succeeded,
                    Result = finish.Result.ToImmutableDictionary(StringComparer.Ordinal),
                    CompletedAt = now,
                    UpdatedAt = now,
                };
            case Abort abort:
                return operation with
                {
                    Status = abort.Status.IsTerminal() ? abort.Status : OperationStatus.Failed,
                    ErrorCode = abort.ErrorCode,
                    Error = abort.Error,
                    CompletedAt = now,
                    UpdatedAt = now,
                };
            default:
                throw new InvalidOperationException("Unknown workflow decision.");
        }
    }

    private static Step NewAttempt(Operation operation, string name, string action, int? index, IReadOnlyDictionary<string, string> parameters, int stepNumber, int attempt, DateTimeOffset sendAt, OperationsOptions options)
    {
        var deliverBy = sendAt + options.DeliveryTimeout;
        var execution = ActionPolicy.ExecutionTimeoutFor(action, parameters, options);
        return new Step
        {
            Name = name,
            Action = action,
            Index = index,
            Parameters = parameters.ToImmutableDictionary(StringComparer.Ordinal),
            Status = OperationStatus.Pending,
            Attempt = attempt,
            CommandId = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{operation.Id}.{stepNumber}.{attempt}"),
            SendAt = sendAt,
            DeliverBy = deliverBy,
            AnswerBy = deliverBy + execution + options.AnswerGrace,
        };
    }

    private static EmulatorCommand CommandFor(Operation operation, Step step, OperationsOptions options) => new()
    {
        CommandId = step.CommandId,
        OperationId = operation.Id,
        SiteId = operation.SiteId,
        HostId = operation.HostId,
        Action = step.Action,
        Index = step.Index,
        Parameters = step.Parameters,
        IssuedAt = step.SendAt,
        DeliverBy = step.DeliverBy,
        ExecutionTimeout = ActionPolicy.ExecutionTimeoutFor(step.Action, step.Parameters, options),
    };

    private static Operation WithCurrent(Operation operation, Step step) => operation with { Steps = operation.Steps.SetItem(operation.Steps.Length - 1, step) };

    /// <summary>An unfinished operation is Running once any step has finished or started, else it shows its current step's state.</summary>
    private static Operation WithStatus(Operation operation)
    {
        if (operation.Status.IsTerminal())
        {
            return operation;
        }

        var current = operation.Current;
        var status = operation.Steps.Length > 1 || current?.Status == OperationStatus.Running ? OperationStatus.Running : current?.Status ?? OperationStatus.Pending;
        return operation with { Status = status };
    }

    // Outputs live in the operation row (64 KiB per property); the relay already caps them at 8 KiB.
    private const int MaxStoredOutput = 4 * 1024;

    private static string? Truncate(string? text) => text is null || text.Length <= MaxStoredOutput ? text : text[..MaxStoredOutput] + "\n[output truncated]";
}
