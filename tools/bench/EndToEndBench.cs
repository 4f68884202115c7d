using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using LdFleet.Testing;

namespace LdFleet.Bench;

/// <summary>
/// API to result, per transport: the cloud app, a relay and a simulated host as real processes, commands on
/// Storage Queues (Azurite) or Service Bus (Azure.Messaging.ServiceBus against the test broker); results on Azurite. The baseline is the relay's unavoidable work for
/// one launch/quit: two simulator spawns (the command and the list2 that verifies it), measured in the same run.
/// </summary>
internal static class EndToEndBench
{
    internal const string SiteId = "bench";

    /// <summary>Concurrent clients of the throughput phase; the simulated host needs one emulator per client.</summary>
    internal const int Clients = 16;

    /// <summary>Emulators of the end-to-end host: one per client, and one more for the bare-spawn baseline.</summary>
    internal const int Emulators = Clients + 1;

    public static async Task<BenchReport> RunAsync(int iterations)
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var broker = await BenchServiceBus.StartAsync(SiteId);
        using var sim = await SimulatedHost.CreateAsync("host-1", Emulators);

        var baseline = await BareSpawnBaselineAsync(sim, iterations);

        var rows = new List<(string, Stats)> { ("baseline: launch/quit + list2 spawns", Stats.Of(baseline)) };
        var derived = new List<(string, double)>();
        foreach (var (name, transport) in new[] { ("Storage Queues (Azurite)", azurite.ConnectionString), ("Service Bus (SDK, test broker)", broker.ConnectionString) })
        {
            var (latency, toRelay, throughput) = await MeasureAsync(azurite.ConnectionString, transport, sim, iterations);
            rows.Add(($"{name}: API -> relay starts the command", Stats.Of(toRelay)));
            rows.Add(($"{name}: API -> Succeeded, sequential", Stats.Of(latency)));
            derived.Add(($"{name}: added latency p50 over baseline (ms)", Stats.Of(latency).P50 - Stats.Of(baseline).P50));
            derived.Add(($"{name}: operations/s with 16 concurrent clients", throughput));
        }

        return new BenchReport("e2e", iterations, rows, derived);
    }

    /// <summary>The relay's unavoidable work per launch/quit, measured bare: the command's spawn and the list2 that verifies it.</summary>
    internal static async Task<List<double>> BareSpawnBaselineAsync(SimulatedHost sim, int iterations)
    {
        var baseline = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await sim.RunAsync(i % 2 == 0 ? "launch" : "quit", "--index", Clients.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await sim.RunAsync("list2");
            baseline.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return baseline;
    }

    /// <summary>What one transport achieved, with the relay's and the cloud app's own resource use.</summary>
    internal sealed record TransportFigures(
        List<double> Latency, List<double> ToRelay, List<double> OnRelay, double Throughput,
        double RelayIdleRssMiB, double RelayLoadRssMiB, double RelayCpuMsPerCommand, double CloudCpuMsPerCommand);

    private static async Task<(List<double> Latency, List<double> ToRelay, double Throughput)> MeasureAsync(string storage, string transport, SimulatedHost sim, int iterations)
    {
        var figures = await MeasureTransportAsync(storage, transport, sim, iterations);
        return (figures.Latency, figures.ToRelay, figures.Throughput);
    }

    /// <summary>Sequential latency, then throughput with 16 concurrent clients; RSS and CPU of both processes from /proc.</summary>
    internal static async Task<TransportFigures> MeasureTransportAsync(string storage, string transport, SimulatedHost sim, int iterations)
    {
        await using var cloud = await BenchCloud.StartAsync(storage, transport, "Fleet.Operate");
        var api = cloud.Api;
        await using var relay = await BenchRelay.StartAsync(SiteId, storage, transport, [sim]);

        // Warm-up, then sequential single operations.
        for (var i = 0; i < 5; i++)
        {
            _ = await RunOneAsync(api, i);
        }

        var idleRss = ProcessSampler.RssMiB(relay.Id);
        var latency = new List<double>();
        var toRelay = new List<double>();
        var onRelay = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            var (elapsed, relayDelay, relayTime) = await RunOneAsync(api, i);
            latency.Add(elapsed);
            toRelay.Add(relayDelay);
            onRelay.Add(relayTime);
        }

        var count = iterations * 2;
        var relayCpu = ProcessSampler.CpuMs(relay.Id);
        var cloudCpu = ProcessSampler.CpuMs(cloud.Process.Id);
        using var sampling = new CancellationTokenSource();
        var peakRss = ProcessSampler.PeakRssAsync(relay.Id, TimeSpan.FromMilliseconds(100), sampling.Token);
        var started = Stopwatch.GetTimestamp();
        // Each client works on an emulator of its own: two clients launching and quitting one emulator at once
        // would race each other (a quit verified while a launch boots it again ends NoEffect).
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            for (var k = client; k < count; k += Clients)
            {
                await RunOneAsync(api, k / Clients % 2 == 0 ? "launch" : "quit", client);
            }
        }));
        var throughput = count / Stopwatch.GetElapsedTime(started).TotalSeconds;
        var relayCpuPer = (ProcessSampler.CpuMs(relay.Id) - relayCpu) / count;
        var cloudCpuPer = (ProcessSampler.CpuMs(cloud.Process.Id) - cloudCpu) / count;
        await sampling.CancelAsync();
        return new TransportFigures(latency, toRelay, onRelay, throughput, idleRss, await peakRss, relayCpuPer, cloudCpuPer);
    }

    /// <summary>
    /// One operation: client-observed time to Succeeded, API-accepted to relay-start, and relay-start to relay-finish
    /// (the relay's own time for the command: journal, ldconsole, list2 verification); same machine, same clock.
    /// </summary>
    private static Task<(double Elapsed, double ToRelay, double OnRelay)> RunOneAsync(HttpClient api, int i) =>
        RunOneAsync(api, i / 8 % 2 == 0 ? "launch" : "quit", i % 7);

    private static async Task<(double Elapsed, double ToRelay, double OnRelay)> RunOneAsync(HttpClient api, string action, int index)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await api.PostAsync(new Uri($"/api/sites/{SiteId}/hosts/host-1/emulators/{index}/{action}", UriKind.Relative), null);
        response.EnsureSuccessStatusCode();
        var location = response.Headers.Location!;
        var done = await Poll.UntilAsync(
            async () => await api.GetFromJsonAsync<JsonElement>(location),
            op => op.GetProperty("status").GetString() is "Succeeded" or "Failed" or "TimedOut",
            TimeSpan.FromSeconds(60),
            "the operation");
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (done.GetProperty("status").GetString() != "Succeeded")
        {
            throw new InvalidOperationException($"Operation {location} ended {done}.");
        }

        var step = done.GetProperty("steps")[0];
        var toRelay = step.GetProperty("startedAt").GetDateTimeOffset() - done.GetProperty("createdAt").GetDateTimeOffset();
        var onRelay = step.GetProperty("completedAt").GetDateTimeOffset() - step.GetProperty("startedAt").GetDateTimeOffset();
        return (elapsed, toRelay.TotalMilliseconds, onRelay.TotalMilliseconds);
    }
}
