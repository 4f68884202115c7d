namespace LdFleet.Protocol.Transport;

/// <summary>
/// Exponential backoff with full jitter: a random delay between zero and the exponential ceiling, so relays
/// that lost the broker at the same moment do not reconnect in lockstep.
/// </summary>
public static class Backoff
{
    public static TimeSpan FullJitter(int attempt, TimeSpan baseDelay, TimeSpan cap, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var exponent = Math.Min(Math.Max(attempt, 0), 30);
        var ceiling = Math.Min(cap.Ticks, baseDelay.Ticks * (1L << exponent));
        return TimeSpan.FromTicks((long)(random.NextDouble() * ceiling));
    }
}
