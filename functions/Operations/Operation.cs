using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Operations;

/// <summary>Lifecycle of an operation (and, later, of each of its steps).</summary>
internal enum OperationStatus
{
    Pending,
    Dispatched,
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

/// <summary>
/// The persisted state of one operation. Immutable: the decider returns a new value and the store writes it
/// with the ETag it was read with.
/// </summary>
internal sealed record Operation
{
    public required string Id { get; init; }

    /// <summary>The emulator action this operation carries out (an <see cref="EmulatorActions"/> value).</summary>
    public required string Action { get; init; }

    public required string SiteId { get; init; }

    public required string HostId { get; init; }

    public required int Index { get; init; }

    public required OperationStatus Status { get; init; }

    public required int Attempt { get; init; }

    /// <summary>The id of the command currently expected to answer; results for other ids are stale.</summary>
    public required string CommandId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public required DateTimeOffset DeliverBy { get; init; }

    /// <summary>If no result has arrived by then, the relay is presumed lost and the operation times out.</summary>
    public required DateTimeOffset AnswerBy { get; init; }

    public DateTimeOffset? DispatchedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>
    /// When the sweep should send <see cref="PendingCommand"/> if it is still unsent: a safety net shortly after
    /// creation, or the scheduled time of a retry.
    /// </summary>
    public DateTimeOffset? SendAt { get; init; }

    /// <summary>When the relay began executing the command (relay clock), as its result reported.</summary>
    public DateTimeOffset? RelayStartedAt { get; init; }

    public int? ExitCode { get; init; }

    public string? Output { get; init; }

    public string? ErrorCode { get; init; }

    public string? Error { get; init; }

    /// <summary>
    /// Outbox: a command recorded with the state but not yet known to be on the queue. Written in the same row
    /// as the state, so a crash between the write and the send leaves evidence that the send is owed.
    /// </summary>
    public EmulatorCommand? PendingCommand { get; init; }
}
