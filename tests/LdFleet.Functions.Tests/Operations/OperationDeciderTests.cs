using LdFleet.Functions.Operations;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Tests.Operations;

public sealed class OperationDeciderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly OperationsOptions Options = new();

    [Fact]
    public void Start_RecordsPendingOperationWithCommandInOutbox()
    {
        var (operation, command) = Start();

        Assert.Equal(OperationStatus.Pending, operation.Status);
        Assert.Equal(command, operation.PendingCommand);
        Assert.Equal("op1.1.1", command.CommandId);
        Assert.Equal(T0 + Options.DeliveryTimeout, command.DeliverBy);
        Assert.Equal(Options.LaunchExecutionTimeout, command.ExecutionTimeout);
    }

    [Fact]
    public void CommandSent_MovesToDispatchedAndClearsOutbox()
    {
        var (operation, command) = Start();

        var next = OperationDecider.Decide(operation, new CommandSent(command.CommandId, T0.AddSeconds(1)))!;

        Assert.Equal(OperationStatus.Dispatched, next.Status);
        Assert.Null(next.PendingCommand);
        Assert.Equal(T0.AddSeconds(1), next.DispatchedAt);
    }

    [Fact]
    public void CommandSent_Twice_SecondChangesNothing()
    {
        var (operation, command) = Start();
        var once = OperationDecider.Decide(operation, new CommandSent(command.CommandId, T0))!;

        Assert.Null(OperationDecider.Decide(once, new CommandSent(command.CommandId, T0)));
    }

    [Theory]
    [InlineData(CommandOutcome.Succeeded, "Succeeded")]
    [InlineData(CommandOutcome.Failed, "Failed")]
    [InlineData(CommandOutcome.Rejected, "Failed")]
    [InlineData(CommandOutcome.Expired, "TimedOut")]
    public void Result_MapsOutcomeToTerminalStatus(CommandOutcome outcome, string expected)
    {
        var (operation, command) = Start();
        var dispatched = OperationDecider.Decide(operation, new CommandSent(command.CommandId, T0))!;

        var done = OperationDecider.Decide(dispatched, new ResultReceived(Result(command, outcome), T0.AddSeconds(2)))!;

        Assert.Equal(expected, done.Status.ToString());
        Assert.Equal(T0.AddSeconds(2), done.CompletedAt);
        Assert.Equal("out", done.Output);
    }

    [Fact]
    public void Result_BeforeSendIsRecorded_CompletesClearsOutboxAndLaterSendChangesNothing()
    {
        var (operation, command) = Start();

        var done = OperationDecider.Decide(operation, new ResultReceived(Result(command, CommandOutcome.Succeeded), T0.AddSeconds(1)))!;

        // A result proves the command reached the relay, so nothing is owed any more.
        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Null(done.PendingCommand);
        Assert.Null(OperationDecider.Decide(done, new CommandSent(command.CommandId, T0.AddSeconds(2))));
    }

    [Fact]
    public void Result_OnTerminalOperation_IsIgnored()
    {
        var (operation, command) = Start();
        var done = OperationDecider.Decide(operation, new ResultReceived(Result(command, CommandOutcome.Succeeded), T0))!;

        Assert.Null(OperationDecider.Decide(done, new ResultReceived(Result(command, CommandOutcome.Failed), T0.AddSeconds(1))));
    }

    [Fact]
    public void Result_ForAnotherCommand_IsIgnored()
    {
        var (operation, command) = Start();

        Assert.Null(OperationDecider.Decide(operation, new ResultReceived(Result(command with { CommandId = "op1.1.2" }, CommandOutcome.Succeeded), T0)));
    }

    private static (Operation, EmulatorCommand) Start() =>
        OperationDecider.Start(new StartEmulatorAction("lab", "host-1", 3, EmulatorActions.Launch), "op1", T0, Options);

    private static CommandResult Result(EmulatorCommand command, CommandOutcome outcome) => new()
    {
        SiteId = command.SiteId,
        CommandId = command.CommandId,
        OperationId = command.OperationId,
        HostId = command.HostId,
        Outcome = outcome,
        Output = "out",
        CompletedAt = T0,
    };
}

public sealed class OperationDeciderRetryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly OperationsOptions Options = new() { MaxAttempts = 3, RetryBaseDelay = TimeSpan.FromSeconds(2), RetryMaxDelay = TimeSpan.FromSeconds(60) };

    [Fact]
    public void TransientFailure_SchedulesTheNextAttemptWithANewCommandId()
    {
        var op = Dispatched();

        var next = OperationDecider.Decide(op, new ResultReceived(Failed(op, "Timeout"), T0.AddSeconds(5), Jitter: 0.5), Options)!;

        Assert.Equal(OperationStatus.Pending, next.Status);
        Assert.Equal(2, next.Attempt);
        Assert.Equal($"{op.Id}.1.2", next.CommandId);
        Assert.Equal(next.CommandId, next.PendingCommand!.CommandId);
        Assert.Equal(T0.AddSeconds(6), next.SendAt);
        Assert.Equal("Timeout", next.ErrorCode);
        Assert.Equal(next.PendingCommand.DeliverBy + next.PendingCommand.ExecutionTimeout + Options.AnswerGrace, next.AnswerBy);
    }

    [Fact]
    public void TransientFailure_OnTheLastAttempt_Fails()
    {
        var op = Dispatched() with { Attempt = 3 };
        op = op with { CommandId = $"{op.Id}.1.3" };

        var done = OperationDecider.Decide(op, new ResultReceived(Failed(op, "UnexpectedOutput"), T0, 0.5), Options)!;

        Assert.Equal(OperationStatus.Failed, done.Status);
        Assert.Null(done.PendingCommand);
    }

    [Theory]
    [InlineData("PlayerNotFound")]
    [InlineData("ParameterError")]
    [InlineData("InvalidArgument")]
    [InlineData("NoEffect")]
    [InlineData(null)]
    public void PermanentFailure_IsNotRetried(string? errorCode)
    {
        var op = Dispatched();

        Assert.Equal(OperationStatus.Failed, OperationDecider.Decide(op, new ResultReceived(Failed(op, errorCode), T0, 0.5), Options)!.Status);
    }

    [Fact]
    public void LateAnswerToAnEarlierAttempt_IsIgnored()
    {
        var op = Dispatched();
        var retrying = OperationDecider.Decide(op, new ResultReceived(Failed(op, "Timeout"), T0, 0.5), Options)!;

        Assert.Null(OperationDecider.Decide(retrying, new ResultReceived(Failed(op, "Timeout") with { Outcome = CommandOutcome.Succeeded }, T0.AddSeconds(1), 0.5), Options));
    }

    [Theory]
    [InlineData(1, 0.0, 0)]
    [InlineData(1, 0.999, 1998)]
    [InlineData(3, 0.5, 4000)]
    [InlineData(10, 1.0, 60000)]
    public void RetryDelay_IsFullJitterUnderAnExponentialCeiling(int attempt, double jitter, int expectedMs) =>
        Assert.Equal(expectedMs, OperationDecider.RetryDelay(attempt, jitter, Options).TotalMilliseconds, precision: 0);

    private static Operation Dispatched()
    {
        var (operation, command) = OperationDecider.Start(new StartEmulatorAction("lab", "host-1", 0, EmulatorActions.Launch), "op1", T0, Options);
        return OperationDecider.Decide(operation, new CommandSent(command.CommandId, T0))!;
    }

    private static CommandResult Failed(Operation op, string? errorCode) => new()
    {
        SiteId = op.SiteId,
        CommandId = op.CommandId,
        OperationId = op.Id,
        HostId = op.HostId,
        Outcome = CommandOutcome.Failed,
        ErrorCode = errorCode,
        Error = "boom",
        CompletedAt = T0,
    };
}
