using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace LdFleet.Protocol.Sites;

/// <summary>
/// Rules for site and host identifiers. Site ids become part of queue names, so they follow the strictest
/// naming rules among our transports (Azure Storage queue names: lower-case letters, digits and single hyphens).
/// </summary>
public static partial class FleetIds
{
    /// <summary>Longest site id; leaves room for the queue-name prefix within the 63-character limit.</summary>
    public const int MaxSiteIdLength = 40;

    /// <summary>Longest host id.</summary>
    public const int MaxHostIdLength = 64;

    /// <summary>Returns null when <paramref name="siteId"/> is valid, otherwise a message that says why not.</summary>
    public static string? ValidateSiteId([NotNullWhen(false)] string? siteId)
    {
        if (string.IsNullOrEmpty(siteId))
        {
            return "A site id is required.";
        }

        if (siteId.Length > MaxSiteIdLength || !SiteIdPattern().IsMatch(siteId))
        {
            return $"A site id is 1 to {MaxSiteIdLength} lower-case letters, digits or single hyphens, starting and ending with a letter or digit.";
        }

        return null;
    }

    /// <summary>Returns null when <paramref name="hostId"/> is valid, otherwise a message that says why not.</summary>
    public static string? ValidateHostId([NotNullWhen(false)] string? hostId)
    {
        if (string.IsNullOrEmpty(hostId))
        {
            return "A host id is required.";
        }

        if (hostId.Length > MaxHostIdLength || !HostIdPattern().IsMatch(hostId))
        {
            return $"A host id is 1 to {MaxHostIdLength} letters, digits, '-', '_' or '.', starting with a letter or digit.";
        }

        return null;
    }

    [GeneratedRegex(@"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*\z", RegexOptions.CultureInvariant)]
    private static partial Regex SiteIdPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostIdPattern();
}
