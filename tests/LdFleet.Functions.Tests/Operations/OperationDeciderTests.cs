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
    public void Result_BeforeSendIsRecorded_CompletesAndLaterSendOnlyClearsOutbox()
    {
        var (operation, command) = Start();

        var done = OperationDecider.Decide(operation, new ResultReceived(Result(command, CommandOutcome.Succeeded), T0.AddSeconds(1)))!;
        var afterSend = OperationDecider.Decide(done, new CommandSent(command.CommandId, T0.AddSeconds(2)))!;

        Assert.Equal(OperationStatus.Succeeded, afterSend.Status);
        Assert.Null(afterSend.PendingCommand);
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
