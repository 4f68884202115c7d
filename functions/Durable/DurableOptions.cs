using System.ComponentModel.DataAnnotations;

namespace LdFleet.Functions.Durable;

/// <summary>
/// The self-hosted Durable Task backend: DurableTask.Core's worker over the Azure Storage provider, in the storage
/// account of <c>Storage:*</c>. Under the Functions host these settings do not apply: host.json's
/// <c>extensions.durableTask</c> configures the same provider there.
/// </summary>
internal sealed class DurableOptions
{
    public const string SectionName = "Durable";

    /// <summary>
    /// Task hub name: the prefix of its tables (<c>{hub}Instances</c>, <c>{hub}History</c>), queues and lease container.
    /// One hub per environment: two apps on one hub steal each other's work.
    /// </summary>
    [Required(ErrorMessage = "Durable:TaskHub is required.")]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,44}$", ErrorMessage = "Durable:TaskHub must be 3 to 45 letters and digits, starting with a letter.")]
    public string TaskHub { get; set; } = "ldfleet";

    /// <summary>Control queues; the cap on how many workers can share the orchestrations. Fixed once the hub exists.</summary>
    [Range(1, 16, ErrorMessage = "Durable:PartitionCount must be between 1 and 16.")]
    public int PartitionCount { get; set; } = 4;

    /// <summary>
    /// Ceiling of the idle back-off of queue polling. An event written by another process (a relay result consumed
    /// by another instance, an API call on another instance) waits up to this long after idle; the provider's
    /// default of 30 s would make the first command after a quiet spell that slow.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30", ErrorMessage = "Durable:MaxQueuePollingInterval must be between 100 ms and 30 s.")]
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a dequeued work item stays invisible. A crashed worker's work is picked up again after this long, so it
    /// is exactly the crash-recovery time (the provider renews the lock of longer work itself).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "00:10:00", ErrorMessage = "Durable:WorkItemVisibilityTimeout must be between 10 s and 10 minutes.")]
    public TimeSpan WorkItemVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a worker's claim on a control queue lasts unless renewed (renewed every third of it). A worker that dies
    /// holds its queues this long; another worker (or its own restart) takes them over after it. Blob leases last 15 to
    /// 60 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:15", "00:01:00", ErrorMessage = "Durable:PartitionLeaseInterval must be between 15 s and 60 s (the range of a blob lease).")]
    public TimeSpan PartitionLeaseInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Keeps an orchestration's history in memory between episodes, so a step does not replay the whole history
    /// from storage (measured here: 26 sequential activities/s without, 64/s with).
    /// </summary>
    public bool ExtendedSessions { get; set; } = true;

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Durable:ExtendedSessionIdleTimeout must be between 1 s and 10 minutes.")]
    public TimeSpan ExtendedSessionIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Activities run at once by this process.</summary>
    [Range(1, 1000, ErrorMessage = "Durable:MaxConcurrentActivities must be between 1 and 1000.")]
    public int MaxConcurrentActivities { get; set; } = 64;

    /// <summary>Orchestration episodes run at once by this process.</summary>
    [Range(1, 1000, ErrorMessage = "Durable:MaxConcurrentOrchestrations must be between 1 and 1000.")]
    public int MaxConcurrentOrchestrations { get; set; } = 100;

    /// <summary>
    /// Partition leases in a table instead of blobs (the provider's v3 default). Off by default here: on Azurite it
    /// stalled dispatch by ~2 s at times; turn it on against a real storage account if blob leases cost too much.
    /// </summary>
    public bool UseTablePartitionManagement { get; set; }
}
