using System.Collections.Immutable;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Operations;

/// <summary>Lifecycle of an operation and of each of its steps.</summary>
internal enum OperationStatus
{
    /// <summary>Started; its command is not yet on the queue (or a retry waits for its time).</summary>
    Pending,

    /// <summary>The command is on the site's queue.</summary>
    Dispatched,

    /// <summary>The relay reported that it started (long steps), or, for an operation, at least one step finished.</summary>
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
}

internal static class OperationStatusExtensions
{
    public static bool IsTerminal(this OperationStatus status) =>
        status is OperationStatus.Succeeded or OperationStatus.Failed or OperationStatus.TimedOut or OperationStatus.Cancelled;
}

/// <summary>One command of a workflow, with every attempt's bookkeeping folded into the latest attempt.</summary>
internal sealed record Step
{
    /// <summary>The step's role in its workflow (e.g. <c>create</c>, <c>install:com.example</c>); unique within the operation.</summary>
    public required string Name { get; init; }

    public required string Action { get; init; }

    /// <summary>Null for host-wide actions (add).</summary>
    public int? Index { get; init; }

    public IReadOnlyDictionary<string, string> Parameters { get; init; } = ImmutableDictionary<string, string>.Empty;

    public required OperationStatus Status { get; init; }

    public required int Attempt { get; init; }

    /// <summary>The id the current attempt's command carries; results for other ids are stale.</summary>
    public required string CommandId { get; init; }

    /// <summary>When the current attempt's command was (or, while a retry waits, will be) sent.</summary>
    public required DateTimeOffset SendAt { get; init; }

    public required DateTimeOffset DeliverBy { get; init; }

    /// <summary>No result by then: the relay is presumed lost and the step times out.</summary>
    public required DateTimeOffset AnswerBy { get; init; }

    public DateTimeOffset? DispatchedAt { get; init; }

    /// <summary>When the relay began executing (relay clock).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public int? ExitCode { get; init; }

    public string? Output { get; init; }

    public string? ErrorCode { get; init; }

    public string? Error { get; init; }

    /// <summary>Facts the relay established (e.g. the new emulator's index, the state it saw).</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = ImmutableDictionary<string, string>.Empty;
}

/// <summary>
/// What an operation's orchestration knows about it: the request, every step so far and the outcome. It lives in the
/// orchestrator's memory (rebuilt by replay); the API sees it as <see cref="OperationView"/>.
/// </summary>
internal sealed record Operation
{
    public required string Id { get; init; }

    /// <summary>The workflow this operation runs (see <see cref="Workflows.WorkflowCatalog"/>).</summary>
    public required string Workflow { get; init; }

    public required string SiteId { get; init; }

    public required string HostId { get; init; }

    /// <summary>The emulator; unknown until a provision has created it.</summary>
    public int? Index { get; init; }

    public IReadOnlyDictionary<string, string> Parameters { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The commands of a <c>sequence</c> workflow.</summary>
    public ImmutableArray<SequenceStep> Script { get; init; } = [];

    public required OperationStatus Status { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public ImmutableArray<Step> Steps { get; init; } = [];

    /// <summary>What the workflow produced (e.g. <c>index</c> and <c>title</c> of a provisioned emulator).</summary>
    public IReadOnlyDictionary<string, string> Result { get; init; } = ImmutableDictionary<string, string>.Empty;

    public string? ErrorCode { get; init; }

    public string? Error { get; init; }

    public string? BatchId { get; init; }

    public int? BatchItem { get; init; }

    public string? CreatedBy { get; init; }

    /// <summary>While the operation waits for its emulator: the operation that holds it (or is first in line).</summary>
    public string? WaitingFor { get; init; }

    public Step? Current => Steps.IsDefaultOrEmpty ? null : Steps[^1];
}

/// <summary>One command of a <c>sequence</c> workflow as the caller gave it.</summary>
internal sealed record SequenceStep(string Action, IReadOnlyDictionary<string, string>? Parameters);
