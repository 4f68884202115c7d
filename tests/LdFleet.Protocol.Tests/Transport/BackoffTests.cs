using LdFleet.Protocol.Transport;

namespace LdFleet.Protocol.Tests.Transport;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(0, 200)]
    [InlineData(3, 1600)]
    [InlineData(10, 30_000)]
    [InlineData(1000, 30_000)]
    public void FullJitter_StaysWithinTheExponentialCeiling(int attempt, int ceilingMs)
    {
        var random = new Random(42);
        var delays = Enumerable.Range(0, 500).Select(_ => Backoff.FullJitter(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), random)).ToList();

        Assert.All(delays, d => Assert.InRange(d.TotalMilliseconds, 0, ceilingMs));

        // Full jitter spreads retries over the whole window instead of bunching them at the ceiling.
        Assert.True(delays.Min().TotalMilliseconds < ceilingMs * 0.1);
        Assert.True(delays.Max().TotalMilliseconds > ceilingMs * 0.9);
    }
}
