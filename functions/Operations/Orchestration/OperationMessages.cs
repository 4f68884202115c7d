using System.Collections.Immutable;
using LdFleet.Functions.Operations.Exclusivity;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Operations.Orchestration;

/// <summary>
/// The start of an operation: the request, who and what it belongs to, and a snapshot of the deadline and retry
/// settings (so a configuration change never alters the decisions of an orchestration already running).
/// </summary>
internal sealed record OperationInput
{
    public required string Workflow { get; init; }

    public required string SiteId { get; init; }

    public required string HostId { get; init; }

    public int? Index { get; init; }

    public Dictionary<string, string> Parameters { get; init; } = new(StringComparer.Ordinal);

    /// <summary>For <c>sequence</c>: the commands to run in order.</summary>
    public List<SequenceStep>? Steps { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public string? CreatedBy { get; init; }

    public string? BatchId { get; init; }

    public int? BatchItem { get; init; }

    /// <summary>W3C trace context of the request that started the operation: every command it sends joins that trace.</summary>
    public string? TraceParent { get; init; }

    public string? TraceState { get; init; }

    public required OperationsOptions Settings { get; init; }

    public static OperationInput From(OperationRequest request, DateTimeOffset createdAt, OperationsOptions settings, string? createdBy = null, string? batchId = null, int? batchItem = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new OperationInput
        {
            Workflow = request.Workflow,
            SiteId = request.SiteId,
            HostId = request.HostId,
            Index = request.Index,
            Parameters = new Dictionary<string, string>(request.Parameters ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            Steps = request.Steps is null ? null : [.. request.Steps],
            CreatedAt = createdAt,
            CreatedBy = createdBy,
            BatchId = batchId,
            BatchItem = batchItem,
            Settings = settings,
        };
    }

    /// <summary>The operation this input starts, before any step: what the orchestration begins from and the API's answer shows.</summary>
    public Operation ToPendingOperation(string operationId) => new()
    {
        Id = operationId,
        Workflow = Workflow,
        SiteId = SiteId,
        HostId = HostId,
        Index = Index,
        Parameters = Parameters.ToImmutableDictionary(StringComparer.Ordinal),
        Script = Steps is null ? [] : [.. Steps],
        Status = OperationStatus.Pending,
        CreatedAt = CreatedAt,
        UpdatedAt = CreatedAt,
        BatchId = BatchId,
        BatchItem = BatchItem,
        CreatedBy = CreatedBy,
    };
}

/// <summary>The external events an operation's orchestration waits for.</summary>
internal static class OperationEvents
{
    /// <summary>Stop the operation (<see cref="StopRequest"/>).</summary>
    public const string Stop = "stop";

    /// <summary>The relay's answer to a command: the event's name is the command id (<see cref="CommandAnswer"/>).</summary>
    public static string Answer(string commandId) => commandId;

    /// <summary>The relay began executing a long command (<see cref="CommandStart"/>).</summary>
    public static string Started(string commandId) => commandId + ":started";

    /// <summary>The emulator this operation waits for may be free: try to take it (the payload is the sender's id).</summary>
    public const string EmulatorFree = "emulator-free";
}

/// <summary>Why an operation is told to stop.</summary>
internal enum StopKind
{
    /// <summary>A caller cancelled it: it ends Cancelled.</summary>
    Cancel,

    /// <summary>The cleanup found it running far beyond any deadline: it ends TimedOut (Expired).</summary>
    Expire,
}

internal sealed record StopRequest(StopKind Kind, string? Reason = null);

/// <summary>What a relay answered for one command, as the orchestration needs it.</summary>
internal sealed record CommandAnswer
{
    public required string CommandId { get; init; }

    public required CommandOutcome Outcome { get; init; }

    public string? ErrorCode { get; init; }

    public string? Error { get; init; }

    public int? ExitCode { get; init; }

    public string? Output { get; init; }

    public Dictionary<string, string> Data { get; init; } = new(StringComparer.Ordinal);

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset CompletedAt { get; init; }

    // Outputs become part of the orchestration's history and view; the relay already caps them at 8 KiB.
    private const int MaxOutput = 4 * 1024;

    public static CommandAnswer From(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new CommandAnswer
        {
            CommandId = result.CommandId,
            Outcome = result.Outcome,
            ErrorCode = result.ErrorCode,
            Error = result.Error,
            ExitCode = result.ExitCode,
            Output = result.Output is { Length: > MaxOutput } output ? output[..MaxOutput] + "\n[output truncated]" : result.Output,
            Data = new Dictionary<string, string>(result.Data, StringComparer.Ordinal),
            StartedAt = result.StartedAt,
            CompletedAt = result.CompletedAt,
        };
    }
}

/// <summary>The relay's report that it began a long command.</summary>
internal sealed record CommandStart(string CommandId, DateTimeOffset StartedAt);

/// <summary>
/// What the send activity needs: the command, the trace it belongs to, and the emulator the operation must hold
/// before the command may go (null once it holds it, or when it needs none).
/// </summary>
internal sealed record SendCommandInput(EmulatorCommand Command, string? TraceParent, string? TraceState, EmulatorLock? Lock = null);

/// <summary>
/// What the send activity did: put the command on the queue, or nothing because another operation is ahead of this one
/// for the emulator (<see cref="LockGrant"/>: <paramref name="Recheck"/> asks to look again after the start grace).
/// </summary>
internal sealed record SendCommandResult(string? WaitingFor, bool Recheck = false)
{
    public static SendCommandResult Sent { get; } = new((string?)null);
}

/// <summary>
/// The end of an operation, for the read models (and its batch, if any), and the emulator it held or waited for, to
/// hand on (<paramref name="Held"/>: its acquire answered that it holds it).
/// </summary>
internal sealed record OperationOutcome(OperationView View, int? BatchItem, EmulatorLock? Lock = null, bool Held = false);
