using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Orchestration;

namespace LdFleet.Functions.Batches.Orchestration;

/// <summary>A batch's orchestration input: what each child runs, the limits, and where the previous generation stopped.</summary>
internal sealed record BatchInput
{
    public required string BatchId { get; init; }

    public required string Workflow { get; init; }

    public Dictionary<string, string> Parameters { get; init; } = new(StringComparer.Ordinal);

    public List<SequenceStep>? Steps { get; init; }

    public required int Total { get; init; }

    public required Limit MaxConcurrency { get; init; }

    public required Limit MaxConcurrencyPerHost { get; init; }

    public required Limit MaxErrors { get; init; }

    /// <summary>Targets per host (<c>site/host</c>), which per-host percentages are taken of.</summary>
    public required Dictionary<string, int> TargetsPerHost { get; init; }

    public string? CreatedBy { get; init; }

    public string? TraceParent { get; init; }

    public string? TraceState { get; init; }

    /// <summary>The children's deadline and retry settings, taken when the batch was created.</summary>
    public required OperationsOptions Settings { get; init; }

    /// <summary>Child ends handled by one generation before it continues as new (bounds the history).</summary>
    public required int EndsPerGeneration { get; init; }

    /// <summary>Null for the first generation; afterwards what the previous one handed over (ContinueAsNew).</summary>
    public BatchProgress? Progress { get; init; }
}

/// <summary>A batch's state between generations of its orchestration.</summary>
internal sealed record BatchProgress
{
    /// <summary>Items with a lower sequence number have been read from the batch's table.</summary>
    public int NextSeq { get; init; }

    /// <summary>Read but not started yet (their host was at its limit), in target order.</summary>
    public List<ChildTarget> Waiting { get; init; } = [];

    /// <summary>Children started and not yet ended, by sequence number.</summary>
    public Dictionary<int, RunningChild> Running { get; init; } = [];

    public required BatchCounts Counts { get; init; }

    public BatchStatus Status { get; init; } = BatchStatus.Running;

    public bool CancelRequested { get; init; }

    /// <summary>The running children were told to stop.</summary>
    public bool CancelSent { get; init; }

    public string? StopReason { get; init; }

    /// <summary>How many generations came before this one (each ended with ContinueAsNew).</summary>
    public int Generation { get; init; }
}

/// <summary>One target of a batch, as the orchestration carries it.</summary>
internal sealed record ChildTarget(int Seq, string SiteId, string HostId, int Index)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public string HostKey => SiteId + "/" + HostId;
}

/// <summary>A child to start: its target and its operation id (chosen by the orchestration, so a retried start finds it).</summary>
internal sealed record BatchChild(ChildTarget Target, string OperationId);

internal sealed record StartChildrenInput(string BatchId, List<BatchChild> Children, OperationInput Template);

internal sealed record ReadItemsInput(string BatchId, int FromSeq, int Count);

internal sealed record SkipItemsInput(string BatchId, List<int> Seqs, int FromSeq, int ToSeq);

/// <summary>The end of a child operation, as the child tells its batch (an event from one orchestration to the other).</summary>
internal sealed record ChildEnded(int Seq, string OperationId, OperationStatus Status, string? ErrorCode);

/// <summary>The batch's end, for its read model.</summary>
internal sealed record BatchEnd(string BatchId, BatchStatus Status, BatchCounts Counts, string? StopReason, bool CancelRequested, DateTimeOffset CompletedAt);

/// <summary>The external events a batch's orchestration waits for.</summary>
internal static class BatchEvents
{
    /// <summary>A child ended (<see cref="ChildEnded"/>).</summary>
    public const string ChildEnded = "childEnded";

    /// <summary>Cancel the batch (<see cref="StopRequest"/>).</summary>
    public const string Cancel = "cancel";
}
