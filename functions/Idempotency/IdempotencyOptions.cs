using System.ComponentModel.DataAnnotations;

namespace LdFleet.Functions.Idempotency;

internal sealed class IdempotencyOptions
{
    public const string SectionName = "Idempotency";

    /// <summary>How long a key is remembered; a retry after that starts a new operation.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00", ErrorMessage = "Idempotency:Retention must be between 1 minute and 30 days.")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long the first request holds a key before a duplicate may take it over. Longer than any start
    /// request takes; a request that died holding it blocks its key for this long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00", ErrorMessage = "Idempotency:Lease must be between 5 seconds and 1 hour.")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a duplicate that arrives while the first is still running waits for its answer.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Idempotency:WaitForDuplicate must be between 0 and 1 minute.")]
    public TimeSpan WaitForDuplicate { get; set; } = TimeSpan.FromSeconds(10);
}
