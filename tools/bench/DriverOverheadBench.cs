using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.LdPlayer.Catalog;

namespace LdFleet.Bench;

/// <summary>
/// What the driver adds on top of spawning ldconsole: the same simulator command run (a) with a bare
/// Process.Start that reads stdout to the end, and (b) through LdPlayerHost + LdPlayerDriver (argument
/// validation, async byte reads, decoding, classification, list2 parsing). Runs alternate so drift in machine
/// load hits both sides equally.
/// </summary>
internal static class DriverOverheadBench
{
    public static async Task<BenchReport> RunAsync(int iterations)
    {
        var simulator = BenchPaths.Simulator("Release");
        if (!File.Exists(simulator))
        {
            simulator = BenchPaths.Simulator("Debug");
        }

        var home = Directory.CreateTempSubdirectory("ldfleet-bench-").FullName;
        try
        {
            await BareAsync(simulator, home, ["sim:init", "--count", "8", "--boot-delay-ms", "0", "--adb-delay-ms", "0"]);
            var options = new LdPlayerHostOptions { Id = "bench", LdConsolePath = simulator, LaunchStagger = TimeSpan.Zero, Environment = { ["LDSIM_HOME"] = home } };
            using var host = new LdPlayerHost(options, new ProcessRunner(TimeProvider.System));
            var driver = new LdPlayerDriver(TimeProvider.System);

            // Warm up both paths (JIT, file cache) before measuring.
            for (var i = 0; i < 10; i++)
            {
                await BareAsync(simulator, home, ["list2"]);
                await driver.ExecuteAsync(host, LdConsoleCommands.List2(), null, CancellationToken.None);
            }

            var bare = new List<double>(iterations);
            var viaDriver = new List<double>(iterations);
            var isRunningBare = new List<double>(iterations);
            var isRunningDriver = new List<double>(iterations);
            for (var i = 0; i < iterations; i++)
            {
                bare.Add(await TimeAsync(() => BareAsync(simulator, home, ["list2"])));
                viaDriver.Add(await TimeAsync(() => driver.ExecuteAsync(host, LdConsoleCommands.List2(), null, CancellationToken.None)));
                isRunningBare.Add(await TimeAsync(() => BareAsync(simulator, home, ["isrunning", "--index", "3"])));
                isRunningDriver.Add(await TimeAsync(() => driver.ExecuteAsync(host, LdConsoleCommands.IsRunning(EmulatorSelector.ByIndex(3)), null, CancellationToken.None)));
            }

            return new BenchReport("driver", iterations, [
                new("list2: bare Process.Start (baseline)", Stats.Of(bare)),
                new("list2: LdPlayerDriver", Stats.Of(viaDriver)),
                new("isrunning: bare Process.Start (baseline)", Stats.Of(isRunningBare)),
                new("isrunning: LdPlayerDriver", Stats.Of(isRunningDriver)),
            ],
            [
                ("list2 overhead p50 (ms)", Stats.Of(viaDriver).P50 - Stats.Of(bare).P50),
                ("list2 driver/bare p50 ratio", Stats.Of(viaDriver).P50 / Stats.Of(bare).P50),
                ("isrunning overhead p50 (ms)", Stats.Of(isRunningDriver).P50 - Stats.Of(isRunningBare).P50),
                ("isrunning driver/bare p50 ratio", Stats.Of(isRunningDriver).P50 / Stats.Of(isRunningBare).P50),
            ]);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var started = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static async Task BareAsync(string simulator, string home, string[] arguments)
    {
        var info = new ProcessStartInfo(simulator) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LDSIM_HOME"] = home;
        using var process = Process.Start(info)!;
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
    }
}

/// <summary>A suite's figures: a table of timings and a list of derived ratios.</summary>
internal sealed record BenchReport(string Suite, int Iterations, IReadOnlyList<(string Name, Stats Stats)> Rows, IReadOnlyList<(string Name, double Value)> Derived)
{
    public void Write(TextWriter console, string outputDir)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"## {Suite} ({Iterations} iterations, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        md.AppendLine();
        md.AppendLine("| measurement | p50 ms | p95 ms | p99 ms | mean ms |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (name, s) in Rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {s.P50:0.00} | {s.P95:0.00} | {s.P99:0.00} | {s.Mean:0.00} |");
        }

        md.AppendLine();
        foreach (var (name, value) in Derived)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {name}: {value:0.00}");
        }

        console.Write(md.ToString());
        File.WriteAllText(Path.Combine(outputDir, $"{Suite}.md"), md.ToString());
        var json = JsonSerializer.Serialize(new
        {
            Suite,
            Iterations,
            Rows = Rows.Select(r => new { r.Name, r.Stats }),
            Derived = Derived.ToDictionary(d => d.Name, d => d.Value),
        }, new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(Path.Combine(outputDir, $"{Suite}.json"), json);
    }
}
