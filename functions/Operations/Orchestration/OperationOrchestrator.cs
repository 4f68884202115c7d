using System.Collections.Immutable;
using System.Globalization;
using LdFleet.Functions.Batches.Orchestration;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Operations.Exclusivity;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Protocol.Commands;
using Microsoft.DurableTask;

namespace LdFleet.Functions.Operations.Orchestration;

/// <summary>
/// One operation: the workflow's plan (<see cref="WorkflowCatalog"/>) carried out step by step, each step a command
/// round trip to the site's relay — send it (activity), then wait for the relay's answer (an external event named
/// after the command id) racing a durable timer at the step's answer-by time. Transient failures are retried with a
/// new command id after a full-jitter exponential delay; a stop request (cancel, expiry) ends it at any wait.
/// </summary>
/// <remarks>
/// Deterministic: time is <c>context.CurrentUtcDateTime</c>, jitter comes from <c>context.NewGuid()</c>, settings come
/// from the input. The orchestration's custom status is the operation as the API shows it (step outputs clipped to
/// keep it within a table property); its output is the full view.
/// </remarks>
internal sealed class OperationOrchestrator : TaskOrchestrator<OperationInput, OperationView>
{
    public override async Task<OperationView> RunAsync(TaskOrchestrationContext context, OperationInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (input is null || string.IsNullOrEmpty(input.Workflow) || !WorkflowCatalog.Exists(input.Workflow) || input.Settings is null)
        {
            // Fails the instance with this reason; the instance never retries it (no crash loop).
            throw new InvalidOperationException($"Operation {context.InstanceId} has no readable input (workflow '{input?.Workflow}').");
        }

        var emulator = EmulatorLock.For(input);
        var run = new OperationRun(context, input, emulator);
        var view = await run.RunAsync();
        try
        {
            var next = await context.CallActivityAsync<string?>(TaskNames.RecordOperation, new OperationOutcome(view, input.BatchItem, emulator, run.HoldsEmulator), ActivityRetry.ReadModel);
            if (next is not null && next != context.InstanceId)
            {
                // The emulator is free: wake the next in line (part of this episode's checkpoint, so never lost).
                context.SendEvent(next, OperationEvents.EmulatorFree, context.InstanceId);
            }
        }
        catch (TaskFailedException ex)
        {
            // The operation is done either way; the API reads its state from the orchestration, the cleanup brings the
            // read model up to date, frees the emulator, and a batch's periodic check learns the end from the instance.
            context.CreateReplaySafeLogger<OperationOrchestrator>().LogWarning(ex, "{OperationId}: recording the end in the read models failed", context.InstanceId);
        }

        if (input.BatchId is { } batchId && input.BatchItem is { } seq)
        {
            // Part of this episode's checkpoint: the batch hears of the end exactly when the end is recorded.
            context.SendEvent(batchId, BatchEvents.ChildEnded, new ChildEnded(seq, context.InstanceId, view.Status, view.ErrorCode));
        }

        return view;
    }

    /// <summary>The state of one execution of the orchestrator (rebuilt on every replay).</summary>
    private sealed class OperationRun
    {
        private readonly TaskOrchestrationContext _context;
        private readonly OperationInput _input;
        private readonly Task<StopRequest> _stop;
        private Operation _op;

        // The emulator this operation must hold before its first command goes; null once it holds it (or needs none).
        private EmulatorLock? _toAcquire;

        public OperationRun(TaskOrchestrationContext context, OperationInput input, EmulatorLock? emulator)
        {
            _context = context;
            _input = input;
            _toAcquire = emulator;
            _stop = context.WaitForExternalEvent<StopRequest>(OperationEvents.Stop);
            _op = input.ToPendingOperation(context.InstanceId);
        }

        private OperationsOptions Settings => _input.Settings;

        /// <summary>True once an acquire answered that this operation holds its emulator.</summary>
        public bool HoldsEmulator { get; private set; }

        private DateTimeOffset Now => new(DateTime.SpecifyKind(_context.CurrentUtcDateTime, DateTimeKind.Utc));

        public async Task<OperationView> RunAsync()
        {
            while (!_op.Status.IsTerminal())
            {
                switch (WorkflowCatalog.Next(_op))
                {
                    case RunStep run:
                        await RunStepAsync(run);
                        break;
                    case Finish finish:
                        _op = _op with { Status = OperationStatus.Succeeded, Result = finish.Result.ToImmutableDictionary(StringComparer.Ordinal), CompletedAt = Now, UpdatedAt = Now };
                        break;
                    case Abort abort:
                        _op = _op with
                        {
                            Status = abort.Status.IsTerminal() ? abort.Status : OperationStatus.Failed,
                            ErrorCode = abort.ErrorCode,
                            Error = abort.Error,
                            CompletedAt = Now,
                            UpdatedAt = Now,
                        };
                        break;
                }
            }

            return OperationView.From(_op);
        }

        /// <summary>Runs one step to its end: attempts, retries, the answer deadline, a stop request.</summary>
        private async Task RunStepAsync(RunStep run)
        {
            var stepNumber = _op.Steps.Length + 1;

            // The first command's deadlines count from the request, as the API's answer promised (its planned first
            // step), not from whenever the orchestration got to run: a backlog must not stretch a delivery deadline.
            var firstSendAt = stepNumber == 1 && _op.CreatedAt < Now ? _op.CreatedAt : Now;
            var step = NewAttempt(run.Name, run.Action, run.Index, run.Parameters, stepNumber, attempt: 1, firstSendAt);
            _op = WithStatus(_op with { Steps = _op.Steps.Add(step), UpdatedAt = Now });
            while (true)
            {
                Publish();
                if (_stop.IsCompleted)
                {
                    // Nothing of this attempt is on the queue yet: no cancel command is owed.
                    Stop(_stop.Result, step);
                    return;
                }

                var (sent, waitingFor, recheck) = await SendAsync(CommandFor(step), _toAcquire);
                if (waitingFor is not null)
                {
                    // Another operation has the emulator: wait for it to hand it on, then send with deadlines counted
                    // from then (the wait is not the relay's fault).
                    _op = _op with { WaitingFor = waitingFor, UpdatedAt = Now };
                    Publish();
                    if (!await WaitForTurnAsync(recheck))
                    {
                        Stop(_stop.Result, step);
                        return;
                    }

                    _op = _op with { WaitingFor = null };
                    step = step with { SendAt = Now, DeliverBy = Now + Settings.DeliveryTimeout, AnswerBy = AnswerBy(step.Action, step.Parameters, Now) };
                    Replace(step);
                    continue;
                }

                if (sent is null && _toAcquire is not null)
                {
                    HoldsEmulator = true;
                }

                _toAcquire = null;
                if (sent is not null)
                {
                    // The broker stayed out of reach until the command could no longer be delivered in time.
                    Finish(step with
                    {
                        Status = OperationStatus.TimedOut,
                        CompletedAt = Now,
                        ErrorCode = "Expired",
                        Error = $"The command could not be put on the queue of site {_op.SiteId} before its delivery deadline {step.DeliverBy:O}: {sent}",
                    });
                    return;
                }

                step = step with { Status = OperationStatus.Dispatched, DispatchedAt = Now };
                Replace(step);
                Publish();

                var answer = await WaitForAnswerAsync(step);
                step = Current;
                if (answer is null)
                {
                    return; // stopped, or timed out without an answer: the step and the operation are settled
                }

                var policy = ActionPolicy.For(step.Action, Settings);
                if (answer.Outcome == CommandOutcome.Failed && policy.RetryOn.Contains(answer.ErrorCode ?? "") && step.Attempt < policy.MaxAttempts)
                {
                    // A new attempt gets a new command id, so a late answer to the old one is recognised as stale.
                    var sendAt = Now + RetryDelay(step.Attempt, Jitter(), Settings);
                    step = NewAttempt(step.Name, step.Action, step.Index, step.Parameters, stepNumber, step.Attempt + 1, sendAt) with
                    {
                        ExitCode = answer.ExitCode,
                        Output = answer.Output,
                        ErrorCode = answer.ErrorCode,
                        Error = $"Attempt {step.Attempt} failed ({answer.ErrorCode}), retrying at {sendAt:O}: {answer.Error}",
                    };
                    Replace(step);
                    Publish();
                    if (sendAt > Now)
                    {
                        using var delay = new CancellationTokenSource();
                        var timer = _context.CreateTimerNotBefore(sendAt, delay.Token);
                        if (await Task.WhenAny(timer, _stop) == _stop)
                        {
                            DurableTimers.CancelNow(delay);
                            Stop(_stop.Result, step);
                            return;
                        }
                    }

                    step = step with { SendAt = Now, DeliverBy = Now + Settings.DeliveryTimeout, AnswerBy = AnswerBy(step.Action, step.Parameters, Now) };
                    Replace(step);
                    continue;
                }

                var status = answer.Outcome switch
                {
                    CommandOutcome.Succeeded => OperationStatus.Succeeded,
                    CommandOutcome.Expired => OperationStatus.TimedOut,
                    _ => OperationStatus.Failed,
                };
                Finish(step with
                {
                    Status = status,
                    StartedAt = answer.StartedAt ?? step.StartedAt,
                    CompletedAt = Now,
                    ExitCode = answer.ExitCode,
                    Output = answer.Output,
                    ErrorCode = status == OperationStatus.Succeeded ? null : answer.ErrorCode,
                    Error = status == OperationStatus.Succeeded ? null : answer.Error,
                    Data = answer.Data.ToImmutableDictionary(StringComparer.Ordinal),
                });
                return;
            }
        }

        /// <summary>
        /// Waits for the relay's answer to the current attempt, its start report (long commands) and a stop request,
        /// against the answer-by timer. Returns the answer, or null when the step ended otherwise.
        /// </summary>
        private async Task<CommandAnswer?> WaitForAnswerAsync(Step step)
        {
            using var waits = new CancellationTokenSource();
            var answer = _context.WaitForExternalEvent<CommandAnswer>(OperationEvents.Answer(step.CommandId), waits.Token);
            Task<CommandStart>? started = EmulatorActions.ReportsStart.Contains(step.Action)
                ? _context.WaitForExternalEvent<CommandStart>(OperationEvents.Started(step.CommandId), waits.Token)
                : null;
            var deadline = _context.CreateTimerNotBefore(step.AnswerBy, waits.Token);
            try
            {
                while (true)
                {
                    var pending = started is null ? new Task[] { answer, _stop, deadline } : [answer, _stop, deadline, started];
                    var winner = await Task.WhenAny(pending);
                    if (winner == answer)
                    {
                        return answer.Result;
                    }

                    if (winner == started)
                    {
                        if (step.Status == OperationStatus.Dispatched)
                        {
                            step = step with { Status = OperationStatus.Running, StartedAt = started!.Result.StartedAt };
                            Replace(step);
                            Publish();
                        }

                        started = null;
                        continue;
                    }

                    if (winner == _stop)
                    {
                        // The relay may hold the command: tell it to stop.
                        Stop(_stop.Result, step);
                        await SendCancelAsync(step);
                        return null;
                    }

                    // Neither a result nor an Expired answer came back: the site was offline past the delivery deadline
                    // and never took the command, or the relay died with it. Not retried: a lost answer may hide an
                    // executed command, and the command id is retired so a late answer cannot reopen the step.
                    Finish(step with
                    {
                        Status = OperationStatus.TimedOut,
                        CompletedAt = Now,
                        ErrorCode = "NoAnswer",
                        Error = $"No result from site {_op.SiteId} by {step.AnswerBy:O} (deliver-by {step.DeliverBy:O}); the relay may be offline.",
                    });
                    return null;
                }
            }
            finally
            {
                // The timer and the waits that lost are cancelled: the operation goes on without them.
                DurableTimers.CancelNow(waits);
            }
        }

        /// <summary>
        /// Sends one command once the operation holds <paramref name="emulator"/> (when given). Returns (null, null) when
        /// it is on the queue; the operation holding the emulator when it is not this one's turn yet; else why it could
        /// not be sent in time.
        /// </summary>
        private async Task<(string? Error, string? WaitingFor, bool Recheck)> SendAsync(EmulatorCommand command, EmulatorLock? emulator = null)
        {
            try
            {
                var result = await _context.CallActivityAsync<SendCommandResult>(
                    TaskNames.SendCommand, new SendCommandInput(command, _input.TraceParent, _input.TraceState, emulator), ActivityRetry.Send(Settings.DeliveryTimeout));
                return (null, result.WaitingFor, result.Recheck);
            }
            catch (TaskFailedException ex)
            {
                return (ex.FailureDetails.ErrorMessage, null, false);
            }
        }

        /// <summary>
        /// Waits until the emulator may be free (the one ahead ended and woke this one) or a stop request comes; false
        /// when stopped. With <paramref name="recheck"/> it also looks again after the start grace: the one ahead is a
        /// start not yet confirmed, which may never have happened and then wakes nobody.
        /// </summary>
        private async Task<bool> WaitForTurnAsync(bool recheck)
        {
            using var wait = new CancellationTokenSource();
            var turn = _context.WaitForExternalEvent<string>(OperationEvents.EmulatorFree, wait.Token);
            var winner = recheck
                ? await Task.WhenAny(turn, _stop, _context.CreateTimerNotBefore(Now + EmulatorLocks.StartGrace, wait.Token))
                : await Task.WhenAny(turn, _stop);
            DurableTimers.CancelNow(wait);
            return winner != _stop;
        }

        /// <summary>Tells the relay to stop a command it may hold (it answers a not-yet-received one as Cancelled).</summary>
        private async Task SendCancelAsync(Step step)
        {
            var now = Now;
            var cancel = new EmulatorCommand
            {
                CommandId = $"{_op.Id}.cancel",
                OperationId = _op.Id,
                SiteId = _op.SiteId,
                HostId = _op.HostId,
                Action = EmulatorActions.Cancel,
                Index = step.Index,
                Parameters = new Dictionary<string, string>(StringComparer.Ordinal) { [CommandParameters.CommandId] = step.CommandId },
                IssuedAt = now,
                DeliverBy = now + Settings.DeliveryTimeout,
                ExecutionTimeout = ActionPolicy.For(EmulatorActions.Cancel, Settings).ExecutionTimeout,
            };

            // Best effort: if the broker stays down the relay's own deadlines still end the command.
            _ = await SendAsync(cancel);
        }

        private void Stop(StopRequest request, Step step)
        {
            var (status, code, error) = request.Kind == StopKind.Expire
                ? (OperationStatus.TimedOut, "Expired", "The operation did not finish within the cleanup job's limit and was expired.")
                : (OperationStatus.Cancelled, "Cancelled", string.IsNullOrWhiteSpace(request.Reason) ? "Cancelled by request." : $"Cancelled by request: {request.Reason}");
            Replace(step with { Status = status, CompletedAt = Now, ErrorCode = code, Error = request.Kind == StopKind.Expire ? "Expired by the cleanup job." : "Cancelled by request." });
            _op = _op with { Status = status, ErrorCode = code, Error = error, CompletedAt = Now, UpdatedAt = Now };
        }

        private void Finish(Step step)
        {
            Replace(step);

            // The emulator a provision created is the target of everything after it.
            if (step.Status == OperationStatus.Succeeded && step.Name == "create" && _op.Workflow == WorkflowCatalog.Provision
                && step.Data.TryGetValue("index", out var created) && int.TryParse(created, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                _op = _op with { Index = index };
            }
        }

        private Step Current => _op.Steps[^1];

        private void Replace(Step step) => _op = WithStatus(_op with { Steps = _op.Steps.SetItem(_op.Steps.Length - 1, step), UpdatedAt = Now });

        /// <summary>Publishes the operation as the API shows it (read by <c>GET /api/operations/{id}</c>).</summary>
        private void Publish() => _context.SetCustomStatus(OperationView.Compact(_op));

        /// <summary>A uniformly distributed number in [0, 1), the same on every replay.</summary>
        private double Jitter() => BitConverter.ToUInt32(_context.NewGuid().ToByteArray(), 0) / (uint.MaxValue + 1.0);

        private Step NewAttempt(string name, string action, int? index, IReadOnlyDictionary<string, string> parameters, int stepNumber, int attempt, DateTimeOffset sendAt) =>
            Steps.NewAttempt(_op.Id, name, action, index, parameters, stepNumber, attempt, sendAt, Settings);

        private DateTimeOffset AnswerBy(string action, IReadOnlyDictionary<string, string> parameters, DateTimeOffset sendAt) =>
            Steps.AnswerBy(action, parameters, sendAt, Settings);

        private EmulatorCommand CommandFor(Step step) => new()
        {
            CommandId = step.CommandId,
            OperationId = _op.Id,
            SiteId = _op.SiteId,
            HostId = _op.HostId,
            Action = step.Action,
            Index = step.Index,
            Parameters = step.Parameters,
            IssuedAt = step.SendAt,
            DeliverBy = step.DeliverBy,
            ExecutionTimeout = ActionPolicy.ExecutionTimeoutFor(step.Action, step.Parameters, Settings),
        };

        /// <summary>
        /// An unfinished operation is Running once any step has started or finished, else it shows its first step's
        /// state (Pending, Dispatched). Only the workflow ends an operation, never a step's status alone.
        /// </summary>
        private static Operation WithStatus(Operation operation)
        {
            if (operation.Status.IsTerminal())
            {
                return operation;
            }

            var current = operation.Current;
            var status = current is null ? OperationStatus.Pending
                : operation.Steps.Length > 1 || current.Status == OperationStatus.Running || current.Status.IsTerminal() ? OperationStatus.Running
                : current.Status;
            return operation with { Status = status };
        }
    }

    /// <summary>Exponential backoff with full jitter for attempt <paramref name="attempt"/> (1-based) that just failed.</summary>
    public static TimeSpan RetryDelay(int attempt, double jitter, OperationsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ceiling = Math.Min(options.RetryMaxDelay.Ticks, options.RetryBaseDelay.Ticks * (1L << Math.Clamp(attempt - 1, 0, 30)));
        return TimeSpan.FromTicks((long)(Math.Clamp(jitter, 0, 1) * ceiling));
    }
}

/// <summary>The attempts of steps: their command ids and deadlines.</summary>
internal static class Steps
{
    public static Step NewAttempt(string operationId, string name, string action, int? index, IReadOnlyDictionary<string, string> parameters, int stepNumber, int attempt, DateTimeOffset sendAt, OperationsOptions settings) => new()
    {
        Name = name,
        Action = action,
        Index = index,
        Parameters = parameters.ToImmutableDictionary(StringComparer.Ordinal),
        Status = OperationStatus.Pending,
        Attempt = attempt,
        CommandId = CommandIds.For(operationId, stepNumber, attempt),
        SendAt = sendAt,
        DeliverBy = sendAt + settings.DeliveryTimeout,
        AnswerBy = AnswerBy(action, parameters, sendAt, settings),
    };

    /// <summary>No answer by then: the relay never took the command (past deliver-by) or died with it.</summary>
    public static DateTimeOffset AnswerBy(string action, IReadOnlyDictionary<string, string> parameters, DateTimeOffset sendAt, OperationsOptions settings) =>
        sendAt + settings.DeliveryTimeout + ActionPolicy.ExecutionTimeoutFor(action, parameters, settings) + settings.AnswerGrace;
}

/// <summary>Command ids: the operation id, the step's number and the attempt (unguessable because the operation id is).</summary>
internal static class CommandIds
{
    public static string For(string operationId, int step, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"{operationId}.{step}.{attempt}");

    /// <summary>A command id taken apart.</summary>
    public readonly record struct Parsed(string OperationId, int Step, int Attempt);

    /// <summary>Reads <c>{operation}.{step}.{attempt}</c>; false for anything else (the cancel command included).</summary>
    public static bool TryParse(string? commandId, out Parsed parsed)
    {
        parsed = default;
        var parts = commandId?.Split('.');
        if (parts is not [var operation, var step, var attempt]
            || !int.TryParse(step, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            || !int.TryParse(attempt, NumberStyles.None, CultureInfo.InvariantCulture, out var a))
        {
            return false;
        }

        parsed = new Parsed(operation, s, a);
        return true;
    }
}

/// <summary>Retry policies of the activities: Durable Task re-runs a failed activity after these delays.</summary>
internal static class ActivityRetry
{
    /// <summary>Read-model writes: storage hiccups heal within minutes.</summary>
    public static TaskOptions ReadModel { get; } = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30)));

    /// <summary>Sending a command: retried while it can still be delivered in time (the relay would answer Expired after).</summary>
    public static TaskOptions Send(TimeSpan deliveryTimeout) => TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 20, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30), retryTimeout: deliveryTimeout));
}
