using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using LdFleet.Testing;

namespace LdFleet.Bench;

/// <summary>
/// The operations engine against Azurite, with the cloud app, a relay and simulated hosts as real processes:
/// storage transactions per operation (counted by the app's Azure.Core pipeline policy), sequential steps per
/// second inside one operation, and a 1,000-emulator batch. Azurite's raw transaction rate is measured in the
/// same run so every figure also reads as a fraction of what the storage emulator can do at all.
/// </summary>
internal static class EngineBench
{
    internal const string SiteId = "bench";

    public static async Task<BenchReport> RunAsync(int iterations)
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var broker = await BenchServiceBus.StartAsync(SiteId);
        var rows = new List<(string, Stats)>();
        var derived = new List<(string, double)>();

        var (tableRate, queueRate) = await AzuriteRawRateAsync(azurite.ConnectionString);
        Console.Error.WriteLine($"raw: {tableRate:0} table/s, {queueRate:0} queue/s");
        derived.Add(("Azurite raw: table inserts/s (16 concurrent writers)", tableRate));
        derived.Add(("Azurite raw: queue sends/s (16 concurrent writers)", queueRate));

        // Storage transactions per operation, Storage Queues transport: every table and queue request counts.
        using (var sim = await SimulatedHost.CreateAsync("host-1", 16))
        await using (var fleet = await Fleet.StartAsync(azurite.ConnectionString, azurite.ConnectionString, [sim], relayConcurrency: 8))
        {
            var single = await fleet.TransactionsPerOperationAsync(iterations, 16, i => new { workflow = "launch", siteId = SiteId, hostId = "host-1", index = i % 16 });
            derived.Add(("storage transactions per single-step operation (cloud app, Storage Queues, 16 clients)", single.Total));
            Console.Error.WriteLine(derived[^1]);
            derived.Add(("  of which table requests", single.Tables));
            Console.Error.WriteLine(derived[^1]);
            derived.Add(("  of which queue requests", single.Queues));
            Console.Error.WriteLine(derived[^1]);
            derived.Add(("  single-step operations/s Azurite's raw table rate would allow at this cost", tableRate / single.Tables));
            Console.Error.WriteLine(derived[^1]);
            var five = await fleet.TransactionsPerOperationAsync(Math.Max(10, iterations / 10), 1, i => new
            {
                workflow = "provision",
                siteId = SiteId,
                hostId = "host-1",
                parameters = new Dictionary<string, string> { ["resolution"] = "1280,720,240", ["apps"] = "com.example.app" },
            });
            derived.Add(("storage transactions per 5-step provision (cloud app, Storage Queues, one at a time)", five.Total));
            Console.Error.WriteLine(derived[^1]);
            var steps = await fleet.StepsPerSecondAsync(50);
            derived.Add(("sequential steps/s in one 50-step operation, Storage Queues", steps));
            Console.Error.WriteLine(derived[^1]);
        }

        using (var sim = await SimulatedHost.CreateAsync("host-1", 8))
        await using (var fleet = await Fleet.StartAsync(azurite.ConnectionString, broker.ConnectionString, [sim], relayConcurrency: 8))
        {
            var steps = await fleet.StepsPerSecondAsync(50);
            derived.Add(("sequential steps/s in one 50-step operation, Service Bus (SDK, test broker)", steps));
            Console.Error.WriteLine(derived[^1]);
            derived.Add(("  ratio to Durable Functions' ~5 steps/s", steps / 5));
            Console.Error.WriteLine(derived[^1]);
        }

        // Fan-out: 1,000 emulators on 10 hosts, concurrency 100, each child launches and waits for boot.
        const int bootMs = 5_000;
        var hosts = new List<SimulatedHost>();
        for (var h = 0; h < 10; h++)
        {
            hosts.Add(await SimulatedHost.CreateAsync($"host-{h + 1}", 100, bootDelayMs: bootMs));
        }

        try
        {
            await using var fleet = await Fleet.StartAsync(azurite.ConnectionString, broker.ConnectionString, hosts, relayConcurrency: 128);
            var (dispatchRate, completion, firstWave) = await fleet.BatchAsync(hosts, 100);
            var ideal = TimeSpan.FromMilliseconds(bootMs * 10);
            rows.Add(("batch child: launch + wait-booted (boot delay 5 s)", Stats.Of(firstWave)));
            derived.Add(("1,000-emulator batch: commands dispatched/s in the first wave (100 children)", dispatchRate));
            Console.Error.WriteLine(derived[^1]);
            derived.Add(("1,000-emulator batch: completion time (s)", completion.TotalSeconds));
            Console.Error.WriteLine(derived[^1]);
            derived.Add(("1,000-emulator batch: ideal schedule, 10 waves x boot delay (s)", ideal.TotalSeconds));
            Console.Error.WriteLine(derived[^1]);
            derived.Add(("1,000-emulator batch: completion / ideal", completion / ideal));
            Console.Error.WriteLine(derived[^1]);
        }
        finally
        {
            hosts.ForEach(h => h.Dispose());
        }

        return new BenchReport("engine", iterations, rows, derived);
    }

    internal static async Task<(double Table, double Queue)> AzuriteRawRateAsync(string connection)
    {
        var table = new TableServiceClient(connection).GetTableClient("rawrate");
        await table.CreateIfNotExistsAsync();
        var queue = new QueueClient(connection, "rawrate");
        await queue.CreateIfNotExistsAsync();
        var tableRate = await RateAsync(async (worker, i) => await table.AddEntityAsync(new TableEntity($"p{worker}", $"r{i}") { ["Data"] = "x" }));
        var queueRate = await RateAsync(async (_, _) => await queue.SendMessageAsync("x"));
        return (tableRate, queueRate);
    }

    private static async Task<double> RateAsync(Func<int, int, Task> operation)
    {
        var count = 0;
        var stop = Stopwatch.GetTimestamp() + (long)(3 * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
        {
            for (var i = 0; Stopwatch.GetTimestamp() < stop; i++)
            {
                await operation(worker, i);
                Interlocked.Increment(ref count);
            }
        }));
        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>The cloud app and one relay as processes, and a direct view of the operations table that the app does not count.</summary>
    internal sealed class Fleet : IAsyncDisposable
    {
        private readonly BenchCloud _cloud;
        private readonly ChildProcess _relay;
        private readonly TableClient _operations;
        private readonly TableClient _batches;

        private Fleet(BenchCloud cloud, ChildProcess relay, string storage)
        {
            _cloud = cloud;
            _relay = relay;
            _operations = new TableServiceClient(storage).GetTableClient("operations");
            _batches = new TableServiceClient(storage).GetTableClient("batches");
        }

        public HttpClient Api => _cloud.Api;

        /// <summary>The relay process, for its resource use.</summary>
        public ChildProcess Relay => _relay;

        public ChildProcess Cloud => _cloud.Process;

        public static async Task<Fleet> StartAsync(string storage, string transport, IReadOnlyList<SimulatedHost> hosts, int relayConcurrency)
        {
            // Creating a 10,000-target batch writes 10,000 rows before it answers: minutes on a busy Azurite.
            var cloud = await BenchCloud.StartAsync(storage, transport, "Fleet.Admin", new Dictionary<string, string?> { ["Diagnostics__StorageCounters"] = "true" }, TimeSpan.FromMinutes(15));
            var settings = new Dictionary<string, string?>
            {
                ["Polling__MaxConcurrency"] = relayConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),

                // Heartbeats and inventory are per relay, not per operation: keep them out of the per-operation counts.
                ["Reporting__HeartbeatInterval"] = "00:10:00",
                ["Reporting__InventoryInterval"] = "00:10:00",
                ["Reporting__InventoryDebounce"] = "00:01:00",
            };
            for (var i = 0; i < hosts.Count; i++)
            {
                settings[$"Relay__Hosts__{i}__MaxConcurrentCalls"] = "16";
            }

            var relay = await BenchRelay.StartAsync(SiteId, storage, transport, hosts, settings);
            return new Fleet(cloud, relay, storage);
        }

        public async Task<(double Total, double Tables, double Queues)> TransactionsPerOperationAsync(int count, int clients, Func<int, object> request)
        {
            var figures = await CostPerOperationAsync(count, clients, request);
            return (figures.Total, figures.Tables, figures.Queues);
        }

        /// <summary>Storage requests and queue messages (sent, and received-and-deleted) the cloud app spends per operation.</summary>
        public async Task<(double Total, double Tables, double Queues, double Blobs, double Sends, double Deletes)> CostPerOperationAsync(int count, int clients, Func<int, object> request)
        {
            for (var i = 0; i < 3; i++)
            {
                await RunAsync(request(i));
            }

            // Steady state: clients keep operations in flight, as a busy fleet would. Polls of an idle
            // results queue are a cost of time, not of operations, and would dominate a one-at-a-time run.
            // Client k runs operations k, k + clients, ...: with one emulator per client (request(i) targets
            // i % clients) no operation waits for another's emulator.
            var before = await CountersAsync();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async k =>
            {
                for (var i = k; i < count; i += clients)
                {
                    await RunAsync(request(i));
                }
            }));

            // Let the last result's message delete land before reading.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var after = await CountersAsync();
            double Per(long delta) => delta / (double)count;
            return (Per(after.Total - before.Total), Per(after.Tables - before.Tables), Per(after.Queues - before.Queues), Per(after.Blobs - before.Blobs), Per(after.Sends - before.Sends), Per(after.Deletes - before.Deletes));
        }

        public async Task<double> StepsPerSecondAsync(int steps) => (await StepsAsync(steps)).PerSecond;

        /// <summary>
        /// One sequence of <paramref name="steps"/> status steps: steps per second, and where a step's time goes — the
        /// cloud (result recorded -> the relay starts the next command: results queue, event, replay, activity, send)
        /// and the relay (command started -> its result recorded).
        /// </summary>
        public async Task<(double PerSecond, double CloudP50Ms, double RelayP50Ms)> StepsAsync(int steps)
        {
            await RunAsync(new { workflow = "launch", siteId = SiteId, hostId = "host-1", index = 0 });
            var started = Stopwatch.GetTimestamp();
            var id = await RunAsync(new
            {
                workflow = "sequence",
                siteId = SiteId,
                hostId = "host-1",
                index = 0,
                steps = Enumerable.Range(0, steps).Select(_ => new { action = "status" }),
            });
            var rate = steps / Stopwatch.GetElapsedTime(started).TotalSeconds;

            var row = (await _operations.GetEntityAsync<TableEntity>(id, "state")).Value;
            using var json = JsonDocument.Parse(row.GetString("Steps"));
            var list = json.RootElement.EnumerateArray().ToList();
            var toRelay = list.Zip(list.Skip(1)).Select(p => (p.Second.GetProperty("startedAt").GetDateTimeOffset() - p.First.GetProperty("completedAt").GetDateTimeOffset()).TotalMilliseconds).ToList();
            var onRelay = list.Select(s => (s.GetProperty("completedAt").GetDateTimeOffset() - s.GetProperty("startedAt").GetDateTimeOffset()).TotalMilliseconds).ToList();
            Console.Error.WriteLine($"per step: result recorded -> relay starts next p50 {Stats.Of(toRelay).P50:0.0} ms; relay start -> result recorded p50 {Stats.Of(onRelay).P50:0.0} ms");
            return (rate, Stats.Of(toRelay).P50, Stats.Of(onRelay).P50);
        }

        /// <summary>
        /// Lets the fleet sit idle for <paramref name="idle"/> (pollers back off to their longest interval), then times one
        /// single-command operation from the API call to its recorded end.
        /// </summary>
        public async Task<double> FirstCommandAfterIdleMsAsync(TimeSpan idle)
        {
            // An idle period is the thing measured here, so this wait is the measurement's input, not a guess at timing.
            await Task.Delay(idle);
            var started = Stopwatch.GetTimestamp();
            await RunAsync(new { workflow = "status", siteId = SiteId, hostId = "host-1", index = 0 });
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        public Task<(double DispatchRate, TimeSpan Completion, List<double> FirstWave)> BatchAsync(IReadOnlyList<SimulatedHost> hosts, int concurrency) =>
            BatchAsync(hosts, 100, concurrency, TimeSpan.FromMinutes(10));

        /// <param name="perHost">Emulators 0..perHost-1 of every host are the batch's targets.</param>
        public async Task<(double DispatchRate, TimeSpan Completion, List<double> FirstWave)> BatchAsync(IReadOnlyList<SimulatedHost> hosts, int perHost, int concurrency, TimeSpan timeout)
        {
            var targets = hosts.SelectMany(h => Enumerable.Range(0, perHost).Select(i => new { siteId = SiteId, hostId = h.Id, index = i })).ToList();
            var started = DateTimeOffset.UtcNow;
            using var response = await Api.PostAsJsonAsync(new Uri("/api/batches", UriKind.Relative), new
            {
                workflow = "sequence",
                selector = new { targets },
                maxConcurrency = concurrency,
                steps = new object[] { new { action = "launch" }, new { action = "waitbooted" } },
            });
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"The batch was refused: {await response.Content.ReadAsStringAsync()}");
            }

            var batchId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            var batch = await Poll.UntilAsync(
                async () => (await _batches.GetEntityAsync<TableEntity>(batchId, "state")).Value,
                b => b.GetString("Status") is "Succeeded" or "Failed" or "Cancelled",
                timeout,
                "the batch to finish");
            if (batch.GetString("Status") != "Succeeded")
            {
                throw new InvalidOperationException($"The batch ended {batch.GetString("Status")}: {batch.GetString("StopReason")} {batch.GetString("Counts")}");
            }

            var children = new List<(DateTimeOffset Created, DateTimeOffset Dispatched, DateTimeOffset Completed)>();
            await foreach (var e in _operations.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"BatchId eq {batchId}")))
            {
                using var steps = JsonDocument.Parse(e.GetString("Steps"));
                var first = steps.RootElement[0];
                var dispatched = first.TryGetProperty("dispatchedAt", out var at) ? at.GetDateTimeOffset() : first.GetProperty("completedAt").GetDateTimeOffset();
                children.Add((e.GetDateTimeOffset("CreatedAt")!.Value, dispatched, e.GetDateTimeOffset("CompletedAt")!.Value));
            }

            // The first wave is what the engine alone decides: 100 children created and their commands sent.
            var wave = children.OrderBy(c => c.Created).Take(concurrency).ToList();
            var dispatchRate = concurrency / (wave.Max(c => c.Dispatched) - wave.Min(c => c.Created)).TotalSeconds;
            Console.Error.WriteLine($"batch: POST to first child {(wave.Min(c => c.Created) - started).TotalMilliseconds:0} ms, first wave created within {(wave.Max(c => c.Created) - wave.Min(c => c.Created)).TotalMilliseconds:0} ms");
            return (dispatchRate, batch.GetDateTimeOffset("CompletedAt")!.Value - started, [.. wave.Select(c => (c.Completed - c.Created).TotalMilliseconds)]);
        }

        private async Task<string> RunAsync(object request)
        {
            using var response = await Api.PostAsJsonAsync(new Uri("/api/operations", UriKind.Relative), request);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Start failed: {await response.Content.ReadAsStringAsync()}");
            }

            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

            // Read the row directly: polling through the API would add the app's own table reads to the count.
            var row = await Poll.UntilAsync(
                async () => (await _operations.GetEntityAsync<TableEntity>(id, "state")).Value,
                e => e.GetString("Status") is "Succeeded" or "Failed" or "TimedOut" or "Cancelled",
                TimeSpan.FromSeconds(120),
                "the operation to finish");
            if (row.GetString("Status") != "Succeeded")
            {
                throw new InvalidOperationException($"Operation {id} ended {row.GetString("Status")}: {row.GetString("Error")}\n{_cloud.Process.Tail()}\n{_relay.Tail()}");
            }

            return id;
        }

        private async Task<(long Total, long Tables, long Queues, long Blobs, long Sends, long Deletes)> CountersAsync()
        {
            var counters = await Api.GetFromJsonAsync<JsonElement>(new Uri("/diagnostics/storage-requests", UriKind.Relative));
            return (counters.GetProperty("total").GetInt64(), counters.GetProperty("tables").GetInt64(), counters.GetProperty("queues").GetInt64(),
                counters.GetProperty("blobs").GetInt64(), counters.GetProperty("queueSends").GetInt64(), counters.GetProperty("queueDeletes").GetInt64());
        }

        public async ValueTask DisposeAsync()
        {
            await _relay.DisposeAsync();
            await _cloud.DisposeAsync();
        }
    }
}
