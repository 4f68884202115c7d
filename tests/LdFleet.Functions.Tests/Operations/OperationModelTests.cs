using CsCheck;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Protocol.Commands;
using static LdFleet.Functions.Tests.Operations.Decide;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>
/// Model-based tests: random interleavings of sends, duplicate and late deliveries, relay answers (success,
/// transient and permanent failures), deadline checks and cancels, checked against the invariants the engine
/// promises whatever the order.
/// </summary>
public sealed class OperationModelTests
{
    private static readonly string[] Workflows = [WorkflowCatalog.Provision, WorkflowCatalog.Delete, WorkflowCatalog.Rename, WorkflowCatalog.Recycle, EmulatorActions.Launch];

    private static readonly Gen<(int Workflow, int[] Moves)> Scenarios = Gen.Select(Gen.Int[0, Workflows.Length - 1], Gen.Int[0, 99].Array[1, 120]);

    [Fact]
    public void RandomEventOrders_KeepEveryInvariant() => Scenarios.Sample(s => Play(Workflows[s.Workflow], s.Moves), iter: 3000);

    private static void Play(string workflow, int[] moves)
    {
        var parameters = new Dictionary<string, string> { ["title"] = "t", ["file"] = "D:\\b.ldbk", ["apps"] = "com.a", ["resolution"] = "1280,720,240" };
        var operation = Start(workflow, workflow == WorkflowCatalog.Provision ? null : 3, parameters);
        var sentCommands = new List<EmulatorCommand>();
        var answered = new List<CommandResult>();
        var succeededSteps = new HashSet<string>(StringComparer.Ordinal);
        var now = T0;

        foreach (var move in moves)
        {
            now = now.AddSeconds(1);
            var before = operation;
            OperationEvent? @event = (move % 10) switch
            {
                // Send whatever the outbox holds (the engine's normal path; a duplicate send is a no-op later).
                0 or 1 or 2 when operation.Outbox is { } outbox => Send(outbox.Command),
                // The relay answers a command it received: success most of the time.
                3 or 4 or 5 when sentCommands.Count > 0 => Answer(sentCommands[move % sentCommands.Count], move % 7 == 0 ? "Timeout" : move % 13 == 0 ? "NoEffect" : null),
                // A duplicate or late delivery of an earlier answer.
                6 when answered.Count > 0 => new ResultReceived(answered[move % answered.Count], now, 0.5),
                // The relay reports a long command started.
                7 when sentCommands.Count > 0 => new StepStarted(sentCommands[^1].CommandId, now, now),
                // The sweep looks: sometimes far in the future, so deadlines fire.
                8 => new DeadlineCheck(move > 95 ? now.AddHours(1) : now),
                9 when move > 96 => new CancelRequested(now),
                _ => null,
            };
            if (@event is null)
            {
                continue;
            }

            var next = OperationDecider.Decide(operation, @event, Options);
            if (next is null)
            {
                continue;
            }

            if (@event is ResultReceived { Result.Outcome: CommandOutcome.Succeeded } applied)
            {
                var step = before.Steps.Single(s => s.CommandId == applied.Result.CommandId);
                Assert.True(succeededSteps.Add(step.Name), $"Step {step.Name} succeeded twice.");
            }

            CheckInvariants(before, next);
            operation = next;
        }

        OperationEvent Send(EmulatorCommand command)
        {
            if (command.Action != EmulatorActions.Cancel)
            {
                sentCommands.Add(command);
            }

            return new CommandSent(command.CommandId, now);
        }

        OperationEvent Answer(EmulatorCommand command, string? failure)
        {
            var result = failure is null ? Succeed(command) : Result(command, CommandOutcome.Failed, failure);
            answered.Add(result);
            return new ResultReceived(result, now, 0.5);
        }
    }

    private static void CheckInvariants(Operation before, Operation after)
    {
        // Terminal states are final: only the outbox (a cancel message being sent) may still change.
        if (before.Status.IsTerminal())
        {
            Assert.Equal(before.Status, after.Status);
            Assert.Equal(before.Steps.Length, after.Steps.Length);
            Assert.Null(after.Outbox);
            return;
        }

        // Steps only append; finished steps never change; no step name appears twice (no step runs twice).
        Assert.True(after.Steps.Length >= before.Steps.Length);
        for (var i = 0; i < before.Steps.Length - 1; i++)
        {
            Assert.Equal(before.Steps[i], after.Steps[i]);
        }

        Assert.Equal(after.Steps.Length, after.Steps.Select(s => s.Name).Distinct().Count());
        Assert.All(after.Steps, s => Assert.InRange(s.Attempt, 1, Options.MaxAttempts));

        // At most one step is unfinished, and only the last; the outbox only ever carries it (or a cancel).
        Assert.All(after.Steps.SkipLast(1), s => Assert.True(s.Status.IsTerminal()));
        if (after.Outbox is { } outbox)
        {
            Assert.True(outbox.Command.Action == EmulatorActions.Cancel || outbox.Command.CommandId == after.Current!.CommandId);
        }

        if (after.Status.IsTerminal())
        {
            Assert.NotNull(after.CompletedAt);
            Assert.All(after.Steps, s => Assert.True(s.Status.IsTerminal()));
        }
    }
}
