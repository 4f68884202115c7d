using LdFleet.Functions.Operations;
using LdFleet.Protocol.Commands;
using static LdFleet.Functions.Tests.Operations.Decide;

namespace LdFleet.Functions.Tests.Operations;

public sealed class OperationDeciderTests
{
    [Fact]
    public void Start_RecordsPendingOperationWithFirstCommandInOutbox()
    {
        var operation = Start(EmulatorActions.Launch);

        Assert.Equal(OperationStatus.Pending, operation.Status);
        var step = Assert.Single(operation.Steps);
        var command = operation.Outbox!.Command;
        Assert.Equal(step.CommandId, command.CommandId);
        Assert.Equal("0123456789abcdef0123456789abcdef.1.1", command.CommandId);
        Assert.Equal(T0 + Options.DeliveryTimeout, command.DeliverBy);
        Assert.Equal(TimeSpan.FromMinutes(1), command.ExecutionTimeout);
        Assert.False(operation.Outbox.Scheduled);
    }

    [Fact]
    public void CommandSent_MovesToDispatchedClearsOutbox_SecondChangesNothing()
    {
        var operation = Start(EmulatorActions.Launch);
        var id = operation.Outbox!.Command.CommandId;

        var sent = OperationDecider.Decide(operation, new CommandSent(id, T0.AddSeconds(1)), Options)!;

        Assert.Equal(OperationStatus.Dispatched, sent.Status);
        Assert.Null(sent.Outbox);
        Assert.Equal(T0.AddSeconds(1), sent.Steps[0].DispatchedAt);
        Assert.Null(OperationDecider.Decide(sent, new CommandSent(id, T0.AddSeconds(2)), Options));
    }

    [Theory]
    [InlineData(CommandOutcome.Succeeded, "Succeeded")]
    [InlineData(CommandOutcome.Failed, "Failed")]
    [InlineData(CommandOutcome.Rejected, "Failed")]
    [InlineData(CommandOutcome.Expired, "TimedOut")]
    public void Result_MapsOutcomeToTerminalStatus(CommandOutcome outcome, string expected)
    {
        var done = Answer(Start(EmulatorActions.Launch), c => Result(c, outcome, outcome == CommandOutcome.Succeeded ? null : "PlayerNotFound"), T0.AddSeconds(2));

        Assert.Equal(expected, done.Status.ToString());
        Assert.Equal(expected, done.Steps[0].Status.ToString());
        Assert.Equal(T0.AddSeconds(2), done.CompletedAt);
        Assert.Equal("out", done.Steps[0].Output);
        Assert.Null(done.Outbox);
    }

    [Fact]
    public void Result_BeforeSendRecorded_CompletesAndClearsOutbox_ThenSendRecordIsStale()
    {
        var operation = Start(EmulatorActions.Quit);
        var command = operation.Outbox!.Command;

        var done = OperationDecider.Decide(operation, new ResultReceived(Result(command), T0), Options)!;

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Null(done.Outbox);
        Assert.Null(OperationDecider.Decide(done, new CommandSent(command.CommandId, T0), Options));
    }

    [Fact]
    public void Result_Duplicate_OrForAnotherCommand_ChangesNothing()
    {
        var operation = Start(EmulatorActions.Launch);
        var command = operation.Outbox!.Command;
        var done = Answer(operation, c => Result(c));

        Assert.Null(OperationDecider.Decide(done, new ResultReceived(Result(command), T0), Options));
        Assert.Null(OperationDecider.Decide(operation, new ResultReceived(Result(command with { CommandId = "other.1.1" }), T0), Options));
    }

    [Fact]
    public void TransientFailure_SchedulesNewAttemptWithNewCommandId_AfterBackoff()
    {
        var operation = Start(EmulatorActions.Launch);
        var first = operation.Outbox!.Command;

        var retrying = Answer(operation, c => Result(c, CommandOutcome.Failed, "Timeout"), T0.AddSeconds(5));

        Assert.Equal(OperationStatus.Pending, retrying.Status);
        var step = Assert.Single(retrying.Steps);
        Assert.Equal(2, step.Attempt);
        Assert.NotEqual(first.CommandId, step.CommandId);
        Assert.True(retrying.Outbox!.Scheduled);
        Assert.Equal(T0.AddSeconds(5) + OperationDecider.RetryDelay(1, 0.5, Options), retrying.Outbox.SendAt);
        Assert.Contains("Attempt 1 failed", step.Error, StringComparison.Ordinal);

        // The old attempt's late answer is stale.
        Assert.Null(OperationDecider.Decide(retrying, new ResultReceived(Result(first), T0.AddSeconds(6)), Options));
    }

    [Fact]
    public void TransientFailure_GivesUpAfterMaxAttempts()
    {
        var operation = Start(EmulatorActions.Launch);
        for (var i = 0; i < Options.MaxAttempts; i++)
        {
            operation = Answer(operation, c => Result(c, CommandOutcome.Failed, "HostUnreachable"));
        }

        Assert.Equal(OperationStatus.Failed, operation.Status);
        Assert.Equal(Options.MaxAttempts, operation.Steps[0].Attempt);
        Assert.Equal("HostUnreachable", operation.ErrorCode);
    }

    [Theory]
    [InlineData(EmulatorActions.Add, "Timeout")]
    [InlineData(EmulatorActions.Adb, "Timeout")]
    [InlineData(EmulatorActions.Launch, "PlayerNotFound")]
    [InlineData(EmulatorActions.Launch, "InterruptedOutcomeUnknown")]
    public void NonRetryableFailure_FailsAtOnce(string action, string errorCode)
    {
        var parameters = action == EmulatorActions.Adb ? new Dictionary<string, string> { ["command"] = "shell ls" } : null;
        var done = Answer(Start(action, action == EmulatorActions.Add ? null : 3, parameters), c => Result(c, CommandOutcome.Failed, errorCode));

        Assert.Equal(OperationStatus.Failed, done.Status);
        Assert.Equal(1, done.Steps[0].Attempt);
    }

    [Fact]
    public void Deadline_NoAnswer_TimesOut_ThenLateResultIsIgnored()
    {
        var operation = Start(EmulatorActions.Launch);
        var command = operation.Outbox!.Command;
        var sent = OperationDecider.Decide(operation, new CommandSent(command.CommandId, T0), Options)!;
        var answerBy = sent.Steps[0].AnswerBy;

        Assert.Null(OperationDecider.Decide(sent, new DeadlineCheck(answerBy), Options));
        var timedOut = OperationDecider.Decide(sent, new DeadlineCheck(answerBy.AddTicks(1)), Options)!;

        Assert.Equal(OperationStatus.TimedOut, timedOut.Status);
        Assert.Equal("NoAnswer", timedOut.Steps[0].ErrorCode);
        Assert.Null(OperationDecider.Decide(timedOut, new ResultReceived(Result(command), answerBy.AddSeconds(1)), Options));
    }

    [Fact]
    public void Cancel_DispatchedStep_SendsCancelCommand_AndIgnoresLateResult()
    {
        var operation = Start(EmulatorActions.InstallApp, parameters: new Dictionary<string, string> { ["packageName"] = "com.example" });
        var command = operation.Outbox!.Command;
        var sent = OperationDecider.Decide(operation, new CommandSent(command.CommandId, T0), Options)!;

        var cancelled = OperationDecider.Decide(sent, new CancelRequested(T0.AddSeconds(1), "operator"), Options)!;

        Assert.Equal(OperationStatus.Cancelled, cancelled.Status);
        Assert.Equal(OperationStatus.Cancelled, cancelled.Steps[0].Status);
        Assert.Equal(EmulatorActions.Cancel, cancelled.Outbox!.Command.Action);
        Assert.Equal(command.CommandId, cancelled.Outbox.Command.Parameters[CommandParameters.CommandId]);
        Assert.Null(OperationDecider.Decide(cancelled, new ResultReceived(Result(command), T0.AddSeconds(2)), Options));
        Assert.Null(OperationDecider.Decide(cancelled, new CancelRequested(T0.AddSeconds(3)), Options));
    }

    [Fact]
    public void Cancel_RetryWaitingForItsTime_NeedsNoMessage()
    {
        var retrying = Answer(Start(EmulatorActions.Launch), c => Result(c, CommandOutcome.Failed, "Timeout"));

        var cancelled = OperationDecider.Decide(retrying, new CancelRequested(T0.AddSeconds(1)), Options)!;

        Assert.Equal(OperationStatus.Cancelled, cancelled.Status);
        Assert.Null(cancelled.Outbox);
    }

    [Fact]
    public void Started_LongStep_IsRunning()
    {
        var operation = Start(EmulatorActions.InstallApp, parameters: new Dictionary<string, string> { ["packageName"] = "com.example" });
        var command = operation.Outbox!.Command;

        var running = OperationDecider.Decide(operation, new StepStarted(command.CommandId, T0.AddSeconds(1), T0.AddSeconds(1)), Options)!;

        Assert.Equal(OperationStatus.Running, running.Status);
        Assert.Equal(T0.AddSeconds(1), running.Steps[0].StartedAt);
        Assert.Null(running.Outbox);
        Assert.Null(OperationDecider.Decide(running, new StepStarted(command.CommandId, T0, T0), Options));
    }

    [Fact]
    public void NextDeadline_IsLenientRecheckForImmediateSend_StrictForRetriesAndAnswers()
    {
        var operation = Start(EmulatorActions.Launch);
        Assert.Equal((T0 + Options.RedriveAfter, true), OperationDecider.NextDeadline(operation, Options));

        var sent = OperationDecider.Decide(operation, new CommandSent(operation.Outbox!.Command.CommandId, T0), Options)!;
        Assert.Equal((sent.Steps[0].AnswerBy, false), OperationDecider.NextDeadline(sent, Options));

        var retrying = Answer(operation, c => Result(c, CommandOutcome.Failed, "Timeout"));
        Assert.Equal((retrying.Outbox!.SendAt, false), OperationDecider.NextDeadline(retrying, Options));
        Assert.False(OperationDecider.OutboxDue(retrying, retrying.Outbox.SendAt.AddTicks(-1), Options, sweeping: true));
        Assert.True(OperationDecider.OutboxDue(retrying, retrying.Outbox.SendAt, Options, sweeping: true));

        Assert.Null(OperationDecider.NextDeadline(Answer(operation, c => Result(c)), Options));
    }

    [Fact]
    public void RetryDelay_FullJitterUnderDoublingCeiling()
    {
        var options = new OperationsOptions { RetryBaseDelay = TimeSpan.FromSeconds(2), RetryMaxDelay = TimeSpan.FromSeconds(10) };

        Assert.Equal(TimeSpan.Zero, OperationDecider.RetryDelay(1, 0, options));
        Assert.Equal(TimeSpan.FromSeconds(2), OperationDecider.RetryDelay(1, 1, options));
        Assert.Equal(TimeSpan.FromSeconds(4), OperationDecider.RetryDelay(2, 1, options));
        Assert.Equal(TimeSpan.FromSeconds(10), OperationDecider.RetryDelay(5, 1, options));
    }
}
