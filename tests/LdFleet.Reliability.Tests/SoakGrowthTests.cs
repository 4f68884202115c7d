namespace LdFleet.Reliability.Tests;

/// <summary>The soak's trend measure: a leak shows, GC saw-teeth and single outliers do not.</summary>
public sealed class SoakGrowthTests
{
    [Fact]
    public void SteadyLinearGrowth_IsMeasuredAcrossTheSpan()
    {
        var series = Enumerable.Range(0, 20).Select(i => (Seconds: i * 10.0, Value: 100 + i * 2.0)).ToList();

        var (mean, growth) = SoakTests.Growth(series);

        Assert.Equal(119, mean, 6);
        Assert.Equal(38, growth, 6);
    }

    [Fact]
    public void SawTeethAndAnOutlier_AroundAFlatLevel_ShowNoGrowth()
    {
        var series = Enumerable.Range(0, 30).Select(i => (Seconds: i * 5.0, Value: 150 + (i % 3 == 0 ? 12.0 : -6.0))).ToList();
        series[^1] = (series[^1].Seconds, 400);

        var (_, growth) = SoakTests.Growth(series);

        Assert.InRange(growth, -5, 5);
    }
}
