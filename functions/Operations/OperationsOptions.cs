using System.ComponentModel.DataAnnotations;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Operations;

/// <summary>
/// Deadlines and retries of operations. An operation takes a snapshot of these when it starts (its orchestration
/// input), so changing a setting never changes the decisions of an orchestration already running.
/// </summary>
internal sealed record OperationsOptions
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

    /// <summary>Attempts per command, the first included, for failures that may be transient (timeouts, crashes, lost hosts).</summary>
    [Range(1, 10, ErrorMessage = "Operations:MaxAttempts must be between 1 and 10.")]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Backoff ceiling after the first failure; it doubles per attempt up to <see cref="RetryMaxDelay"/>, with full jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "Operations:RetryBaseDelay must be between 0 and 10 minutes.")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Operations:RetryMaxDelay must be between 0 and 1 hour.")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);
}
