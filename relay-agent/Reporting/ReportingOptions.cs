using System.ComponentModel.DataAnnotations;

namespace LdFleet.Relay.Reporting;

/// <summary>How often the relay tells the cloud it is alive and what its hosts hold.</summary>
internal sealed class ReportingOptions
{
    public const string SectionName = "Reporting";

    /// <summary>Heartbeat period; the cloud marks a site offline after a few missed beats.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Reporting:HeartbeatInterval must be between 1 second and 10 minutes.")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Full inventory period (list2 of every host), on top of the reports after state-changing commands.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00", ErrorMessage = "Reporting:InventoryInterval must be between 5 seconds and 1 hour.")]
    public TimeSpan InventoryInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Requests within this window are merged, so a burst of launches costs one list2 per host.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Reporting:InventoryDebounce must be between 0 and 1 minute.")]
    public TimeSpan InventoryDebounce { get; set; } = TimeSpan.FromSeconds(1);
}
