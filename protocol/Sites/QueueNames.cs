namespace LdFleet.Protocol.Sites;

/// <summary>
/// Queue naming shared by the cloud and the relays: each site has its own command queue, so a relay's
/// credentials can be limited to it, and all relays answer on one results queue.
/// </summary>
public static class QueueNames
{
    /// <summary>The queue every relay sends results, heartbeats and inventory to.</summary>
    public const string Results = "ldfleet-results";

    /// <summary>The command queue of one site.</summary>
    public static string Commands(string siteId)
    {
        var error = FleetIds.ValidateSiteId(siteId);
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(siteId));
        }

        return $"ldfleet-site-{siteId}";
    }
}
