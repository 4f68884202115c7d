using System.Collections.Immutable;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>Drives the pure decider in tests: starts operations and plays a relay that answers commands.</summary>
internal static class Decide
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    public static readonly OperationsOptions Options = new();

    public static Operation Start(string workflow, int? index = 3, IReadOnlyDictionary<string, string>? parameters = null, IReadOnlyList<SequenceStep>? steps = null) =>
        OperationDecider.Start(
            new OperationRequest { Workflow = workflow, SiteId = "site-1", HostId = "host-1", Index = index, Parameters = parameters, Steps = steps },
            "0123456789abcdef0123456789abcdef",
            T0,
            Options);

    public static CommandResult Result(EmulatorCommand command, CommandOutcome outcome = CommandOutcome.Succeeded, string? errorCode = null, IReadOnlyDictionary<string, string>? data = null) => new()
    {
        SiteId = command.SiteId,
        CommandId = command.CommandId,
        OperationId = command.OperationId,
        HostId = command.HostId,
        Outcome = outcome,
        ErrorCode = errorCode,
        Error = errorCode is null ? null : $"{errorCode} happened",
        ExitCode = 0,
        Output = "out",
        Data = data ?? ImmutableDictionary<string, string>.Empty,
        CompletedAt = T0,
    };

    /// <summary>Sends the outbox and answers it with <paramref name="answer"/>; returns the operation after both.</summary>
    public static Operation Answer(Operation operation, Func<EmulatorCommand, CommandResult> answer, DateTimeOffset? at = null)
    {
        var command = operation.Outbox!.Command;
        var sent = OperationDecider.Decide(operation, new CommandSent(command.CommandId, at ?? T0), Options) ?? operation;
        return OperationDecider.Decide(sent, new ResultReceived(answer(command), at ?? T0), Options)!;
    }

    /// <summary>Plays a relay that succeeds every command, with the data a real relay reports; returns the actions run.</summary>
    public static (Operation Operation, List<string> Actions) RunToEnd(Operation operation, Func<EmulatorCommand, CommandResult>? answer = null, int limit = 100)
    {
        var actions = new List<string>();
        while (!operation.Status.IsTerminal() && limit-- > 0)
        {
            var command = operation.Outbox!.Command;
            actions.Add(command.Action);
            operation = Answer(operation, answer ?? Succeed);
        }

        return (operation, actions);
    }

    public static CommandResult Succeed(EmulatorCommand command) => Result(command, data: command.Action switch
    {
        EmulatorActions.Add or EmulatorActions.Copy => new Dictionary<string, string> { ["index"] = "7", ["title"] = "LDPlayer-7" },
        EmulatorActions.Status => new Dictionary<string, string> { ["state"] = "running" },
        _ => null,
    });
}
