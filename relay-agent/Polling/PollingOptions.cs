using System.ComponentModel.DataAnnotations;

namespace LdFleet.Relay.Polling;

/// <summary>How the relay pulls commands from its site's queue.</summary>
internal sealed class PollingOptions
{
    public const string SectionName = "Polling";

    /// <summary>Commands executed at once across all hosts; also the receive size, so nothing waits locked in memory.</summary>
    [Range(1, 256, ErrorMessage = "Polling:MaxConcurrency must be between 1 and 256.")]
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>
    /// Service Bus: commands the processor fetches ahead of free slots (each waits locked in memory, where another relay
    /// instance cannot take it). 0, the default, fetches only what runs.
    /// </summary>
    [Range(0, 256, ErrorMessage = "Polling:PrefetchCount must be between 0 and 256.")]
    public int PrefetchCount { get; set; }

    /// <summary>Pause after a receive that found work; polling backs off from here when idle.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "Polling:MinPollInterval must be between 1 ms and 1 minute.")]
    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest pause between receives on an idle queue (the price of Storage Queues having no long poll).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00", ErrorMessage = "Polling:MaxPollInterval must be between 1 ms and 5 minutes.")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Storage Queues: the lock (visibility timeout) taken on receipt. Service Bus queues set their own lock duration
    /// (infra/). Either way the lock is renewed at half-time while a command runs, up to its execution timeout.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:10:00", ErrorMessage = "Polling:LockDuration must be between 5 seconds and 10 minutes.")]
    public TimeSpan LockDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Deliveries after which a command that keeps crashing the handler is set aside.</summary>
    [Range(1, 100, ErrorMessage = "Polling:MaxDeliveryCount must be between 1 and 100.")]
    public int MaxDeliveryCount { get; set; } = 5;
}
