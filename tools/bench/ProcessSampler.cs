using System.Globalization;

namespace LdFleet.Bench;

/// <summary>
/// Resident memory and CPU time of one process from /proc (Linux): what the process itself uses, without the
/// simulator processes it spawns (their CPU only reaches the parent's cutime once reaped, and is not read here).
/// </summary>
internal static class ProcessSampler
{
    // USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream Linux build.
    private const double TicksPerSecond = 100;

    /// <summary>VmRSS in MiB, or NaN when the process is gone or /proc is not there.</summary>
    public static double RssMiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>User + system CPU time consumed so far, in milliseconds.</summary>
    public static double CpuMs(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");

            // The command name (field 2) may contain spaces; fields are counted after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks * 1000 / TicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>Samples RSS every <paramref name="interval"/> until cancelled; returns the peak.</summary>
    public static async Task<double> PeakRssAsync(int pid, TimeSpan interval, CancellationToken cancellationToken)
    {
        var peak = RssMiB(pid);
        try
        {
            while (true)
            {
                await Task.Delay(interval, cancellationToken);
                var rss = RssMiB(pid);
                if (!double.IsNaN(rss))
                {
                    peak = double.IsNaN(peak) ? rss : Math.Max(peak, rss);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return peak;
        }
    }
}
