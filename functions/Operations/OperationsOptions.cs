using System.ComponentModel.DataAnnotations;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Operations;

/// <summary>Deadlines for operations.</summary>
internal sealed class OperationsOptions
{
    public const string SectionName = "Operations";

    /// <summary>How long a command may wait for its relay before it is no longer executed (site offline).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Operations:DeliveryTimeout must be between 1 second and 7 days.")]
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Per-action execution timeouts overriding the built-in ones (e.g. <c>Operations__ExecutionTimeouts__installapp=00:20:00</c>).
    /// </summary>
    public Dictionary<string, TimeSpan> ExecutionTimeouts { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Extra time after deliver-by plus execution timeout before a silent operation is timed out.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Operations:AnswerGrace must be between 0 and 1 hour.")]
    public TimeSpan AnswerGrace { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the sweep re-drives unsent commands and times out silent operations.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Operations:SweepInterval must be between 100 ms and 10 minutes.")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A command still in the outbox this long after its last update is sent again by the sweep.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Operations:RedriveAfter must be between 0 and 1 hour.")]
    public TimeSpan RedriveAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per command, the first included, for failures that may be transient (timeouts, crashes, lost hosts).</summary>
    [Range(1, 10, ErrorMessage = "Operations:MaxAttempts must be between 1 and 10.")]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Backoff ceiling after the first failure; it doubles per attempt up to <see cref="RetryMaxDelay"/>, with full jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "Operations:RetryBaseDelay must be between 0 and 10 minutes.")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Operations:RetryMaxDelay must be between 0 and 1 hour.")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long after creation the creation scan first looks at an operation. Operations that finish sooner (most
    /// single commands) never need a deadline-index entry, which saves two storage transactions each.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Operations:CreationScanLag must be between 100 ms and 1 hour.")]
    public TimeSpan CreationScanLag { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Width of one deadline-index partition.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Operations:DeadlineBucket must be between 100 ms and 1 hour.")]
    public TimeSpan DeadlineBucket { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after a send the engine records it (status Dispatched). A result arriving sooner records the
    /// step's end instead and the send record is skipped: one table write per step saved. Zero records at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Operations:SendRecordDelay must be between 0 and 1 minute.")]
    public TimeSpan SendRecordDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>For tests of crash recovery only: crash the process at a named engine boundary (see <c>CrashPoints</c>).</summary>
    public string? CrashAt { get; set; }
}
