using System.ComponentModel.DataAnnotations;

namespace LdFleet.Functions.RelayResults;

/// <summary>The self-hosted consumer of the results queue (in Azure the Functions host triggers it instead).</summary>
internal sealed class RelayResultsOptions
{
    public const string SectionName = "RelayResults";

    /// <summary>Whether this instance polls the results queue itself.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Messages taken per receive (Storage Queues allow up to 32).</summary>
    [Range(1, 32, ErrorMessage = "RelayResults:BatchSize must be between 1 and 32.")]
    public int BatchSize { get; set; } = 32;

    /// <summary>Pause after a receive that found messages; polling backs off from here when the queue is empty.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "RelayResults:MinPollInterval must be between 1 ms and 1 minute.")]
    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest pause between receives on an idle queue.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00", ErrorMessage = "RelayResults:MaxPollInterval must be between 1 ms and 5 minutes.")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a received message stays invisible while it is handled.</summary>
    public TimeSpan LockDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Deliveries after which a message that keeps failing is set aside in the poison queue.</summary>
    [Range(1, 100, ErrorMessage = "RelayResults:MaxDeliveryCount must be between 1 and 100.")]
    public int MaxDeliveryCount { get; set; } = 5;
}
