using System.ComponentModel.DataAnnotations;

namespace LdFleet.Functions.Inventory;

/// <summary>How the cloud judges relays.</summary>
internal sealed class RelaysOptions
{
    public const string SectionName = "Relays";

    /// <summary>A relay whose last heartbeat is older than this is offline (three default heartbeat periods).</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00", ErrorMessage = "Relays:OfflineAfter must be between 5 seconds and 1 day.")]
    public TimeSpan OfflineAfter { get; set; } = TimeSpan.FromSeconds(90);
}
