using System.Globalization;
using System.Text;
using System.Text.Json;
using LdFleet.Testing;

namespace LdFleet.Bench;

/// <summary>How much work one <c>all</c> run does.</summary>
/// <param name="BootDelayMs">The simulator's boot delay in realistic-delay mode (LDPlayer boots in 20-60 s; see the ldconsole reference).</param>
/// <param name="Idle">How long the fleet sits idle before the first-command-after-idle figure.</param>
internal sealed record BenchProfile(string Name, int Iterations, int SingleStepOperations, int FiveStepOperations, int DriverIterations, int Hosts, int BootDelayMs, IReadOnlyList<int> BatchSizes, int Waves, TimeSpan Idle)
{
    /// <summary>Minutes on a 2-core machine: small counts, a short boot delay, batches of 100 and 1,000.</summary>
    public static BenchProfile Quick { get; } = new("quick", 30, 40, 4, 100, 10, 2_000, [100, 1_000], 10, TimeSpan.FromSeconds(30));

    /// <summary>The figures the README quotes: 20 hosts, LDPlayer-like 20 s boots, batches of 1,000 and 10,000.</summary>
    public static BenchProfile Full { get; } = new("full", 200, 200, 20, 300, 20, 20_000, [1_000, 10_000], 10, TimeSpan.FromMinutes(10));
}

/// <summary>One figure of the combined table: a value, its unit, and what it reads against.</summary>
internal sealed record Figure(string Section, string Name, double Value, string Unit, string? Baseline = null, double? Ratio = null);

/// <summary>
/// Every suite in one run on one Azurite and one Service Bus test broker: baselines first (Azurite's raw rates, a bare simulator
/// spawn, the driver's overhead), then end-to-end latency and throughput per transport with the relay's RSS and CPU,
/// storage requests and messages per operation, and batches in realistic-delay mode. One table at the end,
/// written with JSON next to it to artifacts/bench/&lt;timestamp&gt;/.
/// </summary>
internal static class FullBench
{
    private static readonly TextWriter Progress = Console.Error;

    /// <summary>The longest sequence the API accepts: the steps per second of one operation, as long as it can be.</summary>
    private const int SequenceSteps = 50;

    public static async Task<int> RunAsync(BenchProfile profile, string outputRoot)
    {
        var started = DateTimeOffset.UtcNow;
        var figures = new List<Figure>();
        var dir = Path.Combine(outputRoot, started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        void Add(Figure figure)
        {
            figures.Add(figure);
            Progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {figure.Section}: {figure.Name} = {figure.Value:0.###} {figure.Unit}"));

            // Written after every figure, so a long run stopped part-way still leaves what it measured.
            Write(profile, started, DateTimeOffset.UtcNow - started, figures, dir, complete: false);
        }

        Progress.WriteLine($"[bench] profile {profile.Name}: starting Azurite and the Service Bus test broker");
        await using var azurite = await AzuriteServer.StartAsync();
        await using var broker = await BenchServiceBus.StartAsync(EngineBench.SiteId);

        Progress.WriteLine("[bench] baselines");
        var (tableRate, queueRate) = await EngineBench.AzuriteRawRateAsync(azurite.ConnectionString);
        Add(new("baseline", "Azurite raw table inserts (16 writers)", tableRate, "/s"));
        Add(new("baseline", "Azurite raw queue sends (16 writers)", queueRate, "/s"));
        var driver = await DriverOverheadBench.RunAsync(profile.DriverIterations);
        var bareList2 = driver.Rows[0].Stats.P50;
        Add(new("baseline", "bare simulator spawn (list2, p50)", bareList2, "ms"));
        Add(new("relay", "ldconsole call through the driver (list2, p50)", driver.Rows[1].Stats.P50, "ms", "bare spawn", driver.Rows[1].Stats.P50 / bareList2));
        Add(new("relay", "driver overhead per ldconsole call (list2, p50)", driver.Rows[1].Stats.P50 - bareList2, "ms"));

        Progress.WriteLine("[bench] end to end, instant simulator, per transport");
        var storageSteadyP50 = double.NaN;
        using (var sim = await SimulatedHost.CreateAsync("host-1", EndToEndBench.Emulators))
        {
            var bare = Stats.Of(await EndToEndBench.BareSpawnBaselineAsync(sim, profile.Iterations));
            Add(new("baseline", "bare launch/quit + list2 spawns (p50)", bare.P50, "ms"));
            foreach (var (name, transport) in new[] { ("Storage Queues", azurite.ConnectionString), ("Service Bus (SDK, test broker)", broker.ConnectionString) })
            {
                var t = await EndToEndBench.MeasureTransportAsync(azurite.ConnectionString, transport, sim, profile.Iterations);
                var latency = Stats.Of(t.Latency);
                var onRelay = Stats.Of(t.OnRelay);
                var section = $"e2e {name}";
                if (transport == azurite.ConnectionString)
                {
                    storageSteadyP50 = latency.P50;
                }

                Add(new(section, "single command, API -> Succeeded, p50", latency.P50, "ms", "bare spawns", latency.P50 / bare.P50));
                Add(new(section, "single command, API -> Succeeded, p95", latency.P95, "ms", "bare spawns", latency.P95 / bare.P50));
                Add(new(section, "single command, API -> Succeeded, p99", latency.P99, "ms", "bare spawns", latency.P99 / bare.P50));
                Add(new(section, "API accepted -> relay starts the command, p50", Stats.Of(t.ToRelay).P50, "ms"));
                Add(new(section, "commands/s, 16 concurrent clients, 1 host", t.Throughput, "/s"));
                Add(new(section, "relay: command start -> finish (journal, ldconsole, list2), p50", onRelay.P50, "ms", "bare spawns", onRelay.P50 / bare.P50));
                Add(new(section, "relay: overhead per command over bare spawns, p50", onRelay.P50 - bare.P50, "ms"));
                Add(new(section, "relay RSS idle", t.RelayIdleRssMiB, "MiB"));
                Add(new(section, "relay RSS under load (peak)", t.RelayLoadRssMiB, "MiB", "idle", t.RelayLoadRssMiB / t.RelayIdleRssMiB));
                Add(new(section, "relay CPU per command (its own, without the simulator)", t.RelayCpuMsPerCommand, "ms"));
                Add(new(section, "cloud app CPU per command", t.CloudCpuMsPerCommand, "ms"));
            }
        }

        Progress.WriteLine("[bench] storage requests and messages per operation (Storage Queues)");
        using (var sim = await SimulatedHost.CreateAsync("host-1", 16))
        await using (var fleet = await EngineBench.Fleet.StartAsync(azurite.ConnectionString, azurite.ConnectionString, [sim], relayConcurrency: 8))
        {
            var single = await fleet.CostPerOperationAsync(profile.SingleStepOperations, 16, i => new { workflow = "launch", siteId = EngineBench.SiteId, hostId = "host-1", index = i % 16 });
            Add(new("storage", "single-step operation: storage requests (tables + queues + blobs, Durable Task backend included)", single.Total, "/op"));
            Add(new("storage", "single-step operation: table requests", single.Tables, "/op"));
            Add(new("storage", "single-step operation: queue requests", single.Queues, "/op"));
            Add(new("storage", "single-step operation: blob requests", single.Blobs, "/op"));
            Add(new("storage", "single-step operation: messages (sent + received)", single.Sends + single.Deletes, "/op"));
            Add(new("storage", "single-step operations/s Azurite's raw insert rate allows at this cost", tableRate / single.Tables, "/s"));
            var five = await fleet.CostPerOperationAsync(profile.FiveStepOperations, 1, _ => new
            {
                workflow = "provision",
                siteId = EngineBench.SiteId,
                hostId = "host-1",
                parameters = new Dictionary<string, string> { ["resolution"] = "1280,720,240", ["apps"] = "com.example.app" },
            });
            Add(new("storage", "5-step provision: storage requests", five.Total, "/op", "single-step", five.Total / single.Total));
            Add(new("storage", "5-step provision: storage requests per step", five.Total / 5, "/step"));
            Add(new("storage", "5-step provision: messages (sent + received)", five.Sends + five.Deletes, "/op", "single-step", (five.Sends + five.Deletes) / (single.Sends + single.Deletes)));
            var steps = await fleet.StepsAsync(SequenceSteps);
            Add(new("durable", string.Create(CultureInfo.InvariantCulture, $"sequential steps/s, one {SequenceSteps}-step sequence, Storage Queues"), steps.PerSecond, "/s"));
            Add(new("durable", "a step's cloud share: result recorded -> relay starts the next (p50), Storage Queues", steps.CloudP50Ms, "ms", "relay's share", steps.CloudP50Ms / steps.RelayP50Ms));
            var afterIdle = await fleet.FirstCommandAfterIdleMsAsync(profile.Idle);
            Add(new("durable", string.Create(CultureInfo.InvariantCulture, $"first command after {profile.Idle.TotalSeconds:0} s idle, API -> Succeeded, Storage Queues"), afterIdle, "ms", "steady p50", afterIdle / storageSteadyP50));
        }

        Progress.WriteLine("[bench] a long sequence on Service Bus");
        using (var sim = await SimulatedHost.CreateAsync("host-1", 8))
        await using (var fleet = await EngineBench.Fleet.StartAsync(azurite.ConnectionString, broker.ConnectionString, [sim], relayConcurrency: 8))
        {
            var steps = await fleet.StepsAsync(SequenceSteps);
            Add(new("durable", string.Create(CultureInfo.InvariantCulture, $"sequential steps/s, one {SequenceSteps}-step sequence, Service Bus"), steps.PerSecond, "/s"));
            Add(new("durable", "a step's cloud share: result recorded -> relay starts the next (p50), Service Bus", steps.CloudP50Ms, "ms", "relay's share", steps.CloudP50Ms / steps.RelayP50Ms));
        }

        foreach (var size in profile.BatchSizes)
        {
            await BatchAsync(profile, size, azurite.ConnectionString, broker.ConnectionString, tableRate, Add);
        }

        Console.Out.Write(Write(profile, started, DateTimeOffset.UtcNow - started, figures, dir, complete: true));
        Progress.WriteLine($"[bench] written to {dir}");
        return 0;
    }

    /// <summary>One batch of the profile's kind on its own stack (e.g. the 10,000 one again, or with other boot delays).</summary>
    public static async Task<int> RunBatchAsync(BenchProfile profile, int size, string outputRoot)
    {
        var started = DateTimeOffset.UtcNow;
        var figures = new List<Figure>();
        var dir = Path.Combine(outputRoot, started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        await using var azurite = await AzuriteServer.StartAsync();
        await using var broker = await BenchServiceBus.StartAsync(EngineBench.SiteId);
        var (tableRate, _) = await EngineBench.AzuriteRawRateAsync(azurite.ConnectionString);
        figures.Add(new("baseline", "Azurite raw table inserts (16 writers)", tableRate, "/s"));
        await BatchAsync(profile, size, azurite.ConnectionString, broker.ConnectionString, tableRate, f =>
        {
            figures.Add(f);
            Progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {f.Section}: {f.Name} = {f.Value:0.###} {f.Unit}"));
        });
        Console.Out.Write(Write(profile with { Name = $"{profile.Name}, batch {size} only" }, started, DateTimeOffset.UtcNow - started, figures, dir, complete: true));
        return 0;
    }

    /// <summary>
    /// A launch + wait-booted batch over <paramref name="size"/> emulators spread over the profile's hosts, in
    /// realistic-delay mode, with concurrency size / waves: the ideal schedule is waves x boot delay.
    /// </summary>
    private static async Task BatchAsync(BenchProfile profile, int size, string storage, string transport, double rawInsertRate, Action<Figure> add)
    {
        Progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[bench] batch of {size:N0} on {profile.Hosts} hosts, boot delay {profile.BootDelayMs} ms"));
        var perHost = (int)Math.Ceiling(size / (double)profile.Hosts);

        // The relay takes at most 256 commands at once, and every child holds one while it waits for its boot.
        var concurrency = Math.Min(256, size / profile.Waves);
        var waves = (int)Math.Ceiling(size / (double)concurrency);
        var hosts = new List<SimulatedHost>();
        try
        {
            for (var h = 0; h < profile.Hosts; h++)
            {
                hosts.Add(await SimulatedHost.CreateAsync($"host-{h + 1}", perHost, bootDelayMs: profile.BootDelayMs));
            }

            await using var fleet = await EngineBench.Fleet.StartAsync(storage, transport, hosts, relayConcurrency: concurrency);
            var idleRss = ProcessSampler.RssMiB(fleet.Relay.Id);
            var cpu = ProcessSampler.CpuMs(fleet.Relay.Id);
            using var sampling = new CancellationTokenSource();
            var peak = ProcessSampler.PeakRssAsync(fleet.Relay.Id, TimeSpan.FromMilliseconds(250), sampling.Token);
            var ideal = TimeSpan.FromMilliseconds((double)profile.BootDelayMs * waves);
            var (dispatchRate, completion, firstWave) = await fleet.BatchAsync(hosts, perHost, concurrency, ideal * 10 + TimeSpan.FromMinutes(5));
            var cpuPerChild = (ProcessSampler.CpuMs(fleet.Relay.Id) - cpu) / (perHost * hosts.Count);
            await sampling.CancelAsync();
            var peakRss = await peak;

            var section = string.Create(CultureInfo.InvariantCulture, $"batch {perHost * hosts.Count:N0}");
            add(new(section, string.Create(CultureInfo.InvariantCulture, $"first-wave dispatch ({concurrency} children), Service Bus"), dispatchRate, "commands/s", "Azurite raw inserts", dispatchRate / rawInsertRate));
            add(new(section, string.Create(CultureInfo.InvariantCulture, $"completion, concurrency {concurrency}, {hosts.Count} hosts"), completion.TotalSeconds, "s", string.Create(CultureInfo.InvariantCulture, $"ideal {waves} waves x {profile.BootDelayMs / 1000.0:0.#} s"), completion / ideal));
            add(new(section, "child: launch + wait-booted, first wave, p50", Stats.Of(firstWave).P50, "ms", "boot delay", Stats.Of(firstWave).P50 / profile.BootDelayMs));
            add(new(section, "relay RSS idle", idleRss, "MiB"));
            add(new(section, "relay RSS under load (peak)", peakRss, "MiB", "idle", peakRss / idleRss));
            add(new(section, "relay CPU per child (launch, boot polling, verification)", cpuPerChild, "ms"));
        }
        finally
        {
            hosts.ForEach(h => h.Dispose());
        }
    }

    private static string Write(BenchProfile profile, DateTimeOffset started, TimeSpan elapsed, List<Figure> figures, string dir, bool complete)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"## LdFleet bench, profile {profile.Name} ({started:yyyy-MM-dd HH:mm} UTC, {elapsed.TotalMinutes:0.0} min{(complete ? "" : ", incomplete")})");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, {MemoryGiB():0.#} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, load average at the end {LoadAverage()}.");
        md.AppendLine();
        md.AppendLine("| section | measurement | value | unit | vs | ratio |");
        md.AppendLine("|---|---|---:|---|---|---:|");
        foreach (var f in figures)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {f.Section} | {f.Name} | {f.Value:0.##} | {f.Unit} | {f.Baseline} | {(f.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "")} |");
        }

        File.WriteAllText(Path.Combine(dir, "bench.md"), md.ToString());
        File.WriteAllText(Path.Combine(dir, "bench.json"), JsonSerializer.Serialize(new
        {
            profile,
            complete,
            startedAt = started,
            elapsedSeconds = elapsed.TotalSeconds,
            machine = new { cores = Environment.ProcessorCount, memoryGiB = MemoryGiB(), os = System.Runtime.InteropServices.RuntimeInformation.OSDescription, loadAverage = LoadAverage() },
            figures = figures.Select(f => new { f.Section, f.Name, Value = double.IsFinite(f.Value) ? f.Value : (double?)null, f.Unit, f.Baseline, Ratio = f.Ratio is { } r && double.IsFinite(r) ? r : (double?)null }),
        }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        return md.ToString();
    }

    private static double MemoryGiB() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
