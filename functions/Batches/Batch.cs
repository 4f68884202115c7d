using System.Collections.Immutable;
using LdFleet.Functions.Operations;

namespace LdFleet.Functions.Batches;

internal enum BatchStatus
{
    Running,

    /// <summary>The error threshold was crossed: nothing new starts; waits for the running children.</summary>
    Stopping,

    /// <summary>Cancel requested: nothing new starts; running children are being cancelled.</summary>
    Cancelling,
    Succeeded,
    Failed,
    Cancelled,
}

internal enum BatchItemStatus
{
    Pending,
    Started,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,

    /// <summary>Never started: the batch stopped (error threshold or cancel) first.</summary>
    Skipped,
}

internal static class BatchStatusExtensions
{
    public static bool IsTerminal(this BatchStatus status) => status is BatchStatus.Succeeded or BatchStatus.Failed or BatchStatus.Cancelled;

    public static bool IsFinished(this BatchItemStatus status) => status is not (BatchItemStatus.Pending or BatchItemStatus.Started);

    public static BatchItemStatus ToItemStatus(this OperationStatus status) => status switch
    {
        OperationStatus.Succeeded => BatchItemStatus.Succeeded,
        OperationStatus.TimedOut => BatchItemStatus.TimedOut,
        OperationStatus.Cancelled => BatchItemStatus.Cancelled,
        OperationStatus.Failed => BatchItemStatus.Failed,
        _ => BatchItemStatus.Started,
    };
}

/// <summary>
/// A limit given as a count (<c>25</c>) or a share of the targets (<c>10%</c>, rounded up, at least 1).
/// </summary>
internal readonly record struct Limit(int Value, bool Percent)
{
    public static Limit Unlimited => new(int.MaxValue, false);

    public int Resolve(int total) => Percent ? Math.Max(1, (int)Math.Ceiling(total * Value / 100.0)) : Value;

    public override string ToString() => Value == int.MaxValue ? "unlimited" : Percent ? $"{Value}%" : Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool TryParse(string? text, bool allowZero, out Limit limit)
    {
        limit = Unlimited;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        text = text.Trim();
        var percent = text.EndsWith('%');
        var digits = percent ? text[..^1] : text;
        if (!int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || (percent && value > 100) || (!allowZero && value == 0))
        {
            return false;
        }

        limit = new Limit(value, percent);
        return true;
    }
}

/// <summary>One target of a batch and what became of it.</summary>
internal sealed record BatchItem
{
    public required int Seq { get; init; }

    public required string SiteId { get; init; }

    public required string HostId { get; init; }

    public required int Index { get; init; }

    public string? Title { get; init; }

    public required BatchItemStatus Status { get; init; }

    /// <summary>Assigned when the item is started (recorded before the child operation is created).</summary>
    public string? OperationId { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public string? ErrorCode { get; init; }
}

/// <summary>A batch: one workflow over many emulators, with rate and error control.</summary>
internal sealed record Batch
{
    public required string Id { get; init; }

    public required string Workflow { get; init; }

    public IReadOnlyDictionary<string, string> Parameters { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>For a <c>sequence</c> batch: each child's commands.</summary>
    public IReadOnlyList<SequenceStep>? Script { get; init; }

    public required int Total { get; init; }

    public required Limit MaxConcurrency { get; init; }

    public required Limit MaxConcurrencyPerHost { get; init; }

    /// <summary>Failures tolerated; one more stops new starts.</summary>
    public required Limit MaxErrors { get; init; }

    public required BatchStatus Status { get; init; }

    public bool CancelRequested { get; init; }

    public string? StopReason { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public string? CreatedBy { get; init; }

    public string? Selector { get; init; }

    /// <summary>Counts as of the last pump.</summary>
    public BatchCounts Counts { get; init; } = new();
}

internal sealed record BatchCounts
{
    public int Pending { get; init; }

    public int Running { get; init; }

    public int Succeeded { get; init; }

    public int Failed { get; init; }

    public int TimedOut { get; init; }

    public int Cancelled { get; init; }

    public int Skipped { get; init; }

    public int Errors => Failed + TimedOut;

    public static BatchCounts Of(IEnumerable<BatchItem> items)
    {
        int pending = 0, running = 0, succeeded = 0, failed = 0, timedOut = 0, cancelled = 0, skipped = 0;
        foreach (var item in items)
        {
            switch (item.Status)
            {
                case BatchItemStatus.Pending: pending++; break;
                case BatchItemStatus.Started: running++; break;
                case BatchItemStatus.Succeeded: succeeded++; break;
                case BatchItemStatus.Failed: failed++; break;
                case BatchItemStatus.TimedOut: timedOut++; break;
                case BatchItemStatus.Cancelled: cancelled++; break;
                case BatchItemStatus.Skipped: skipped++; break;
            }
        }

        return new BatchCounts { Pending = pending, Running = running, Succeeded = succeeded, Failed = failed, TimedOut = timedOut, Cancelled = cancelled, Skipped = skipped };
    }
}
