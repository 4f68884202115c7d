using System.ComponentModel.DataAnnotations;

namespace LdFleet.Relay.Hosting;

/// <summary>Who this relay is and which LDPlayer hosts it drives.</summary>
internal sealed class RelayOptions
{
    public const string SectionName = "Relay";

    /// <summary>The site this relay serves; it consumes that site's command queue.</summary>
    public string SiteId { get; set; } = "";

    /// <summary>The LDPlayer hosts on this site's LAN.</summary>
    [MinLength(1, ErrorMessage = "Relay:Hosts must name at least one LDPlayer host.")]
    public List<LdPlayerHostOptions> Hosts { get; set; } = [];
}

/// <summary>One LDPlayer host.</summary>
internal sealed class LdPlayerHostOptions
{
    /// <summary>The host's id, as the cloud addresses it.</summary>
    public string Id { get; set; } = "";

    /// <summary>Full path of ldconsole.exe (or of the simulator on Linux).</summary>
    public string LdConsolePath { get; set; } = "";

    /// <summary>
    /// The Windows ANSI code page ldconsole writes in when its output is not UTF-8: 936 (GBK) on Chinese
    /// Windows, which is where most LDPlayer installs are (reference/ldconsole.md §3.5).
    /// </summary>
    public int CodePage { get; set; } = 936;

    /// <summary>Extra environment variables for ldconsole (the simulator reads its data folder from one).</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);
}
