namespace LdFleet.Bench;

/// <summary>Percentiles of a sample of durations in milliseconds.</summary>
internal sealed record Stats(int Count, double P50, double P95, double P99, double Mean)
{
    public static Stats Of(IReadOnlyCollection<double> samples)
    {
        var sorted = samples.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new Stats(sorted.Length, At(0.50), At(0.95), At(0.99), sorted.Average());
    }
}
