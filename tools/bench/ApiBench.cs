using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using LdFleet.Protocol.Commands;
using LdFleet.Testing;

namespace LdFleet.Bench;

/// <summary>
/// Load on the emulator listing with 10,000 emulators in the table (one site, 100 hosts of 100, a tenth of
/// them labelled). The cloud app and Azurite run as real processes; the inventory arrives as relays send it
/// (inventory reports on the results queue), so seeding also exercises the transactional inventory writes.
/// Each scenario sends a fixed number of requests from 16 concurrent clients. Baselines from the same run:
/// /health/live (the HTTP stack and auth-free pipeline) and the same table query made directly with the SDK
/// (the storage floor under the API).
/// </summary>
internal static class ApiBench
{
    private const string SiteId = "bench";
    private const int Hosts = 100;
    private const int PerHost = 100;
    private const int Clients = 16;

    public static async Task<BenchReport> RunAsync(int iterations)
    {
        // Azurite scans a partition per filtered query in a single Node process, so a few hundred requests per
        // scenario already take minutes; the SDK baseline shows how much of the time is the storage emulator.
        var requests = Math.Max(iterations, 50);
        await using var azurite = await AzuriteServer.StartAsync();
        await using var cloud = await BenchCloud.StartAsync(azurite.ConnectionString, null, "Fleet.Operate", clientTimeout: TimeSpan.FromMinutes(2));
        var api = cloud.Api;

        Progress("seeding 10,000 emulators");
        var seed = await SeedAsync(azurite.ConnectionString, api);
        var emulators = new TableServiceClient(azurite.ConnectionString).GetTableClient("emulators");

        var rows = new List<(string, Stats)>();
        var derived = new List<(string, double)>
        {
            ("seeding: 10,000 emulators applied from 100 inventory reports (s)", seed.Inventory),
            ("seeding: label PUTs on 1,000 emulators, 8 concurrent, p50 (ms)", seed.LabelPutP50),
        };

        async Task Scenario(string name, Func<int, Task> call)
        {
            Progress($"scenario: {name}");
            var (stats, perSecond) = await LoadAsync(call, requests);
            rows.Add((name, stats));
            derived.Add(($"{name}: requests/s with {Clients} clients", perSecond));
        }

        await Scenario("baseline: GET /health/live", async _ => (await api.GetAsync(new Uri("/health/live", UriKind.Relative))).Dispose());
        await Scenario("baseline: SDK query, first 100 emulators of the site", async _ =>
        {
            await foreach (var page in emulators.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {SiteId}") + " and Index ge 0", maxPerPage: 100).AsPages())
            {
                _ = page.Values.Count;
                break;
            }
        });
        await Scenario("GET /api/emulators?siteId=bench (first page of 100)", i => GetAsync(api, $"/api/emulators?siteId={SiteId}&pageSize=100"));
        await Scenario("GET /api/sites/bench/emulators?hostId=host-NNN (100 rows)", i => GetAsync(api, $"/api/sites/{SiteId}/emulators?hostId=host-{i % Hosts:D3}"));
        await Scenario("GET ...?state=running (server-side filter, 100 of 1,000)", i => GetAsync(api, $"/api/emulators?siteId={SiteId}&state=running&pageSize=100"));
        await Scenario("GET ...?label=group=gN (server-side filter, 100 rows)", i => GetAsync(api, $"/api/emulators?siteId={SiteId}&label=group%3Dg{i % 10}"));
        await Scenario("GET ...?name=LDPlayer-7* (prefix range on the server, pattern on the rows)", i => GetAsync(api, $"/api/emulators?siteId={SiteId}&name=LDPlayer-7*&pageSize=1000"));
        await Scenario("GET /api/sites/bench/hosts/host-NNN/emulators/N (one emulator)", i => GetAsync(api, $"/api/sites/{SiteId}/hosts/host-{i % Hosts:D3}/emulators/{i % PerHost}"));

        // Walking all 10,000 with continuation tokens, a few times, sequentially.
        Progress("walking the whole inventory");
        var walks = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var count = 0;
            string? next = $"/api/emulators?siteId={SiteId}&pageSize=1000";
            while (next is not null)
            {
                using var response = await api.GetAsync(new Uri(next, UriKind.RelativeOrAbsolute));
                response.EnsureSuccessStatusCode();
                count += (await response.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength();
                next = response.Headers.TryGetValues("Link", out var links) ? links.Single().Split('>')[0].TrimStart('<') : null;
            }

            if (count != Hosts * PerHost)
            {
                throw new InvalidOperationException($"A full walk returned {count} emulators, not {Hosts * PerHost}.");
            }

            walks.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        rows.Add(("walk all 10,000 with continuation tokens (10 pages of 1,000)", Stats.Of(walks)));
        return new BenchReport("api", requests, rows, derived);
    }

    private static async Task<(double Inventory, double LabelPutP50)> SeedAsync(string storage, HttpClient api)
    {
        var results = new QueueClient(storage, "ldfleet-results", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var started = Stopwatch.GetTimestamp();
        var now = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, Hosts), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (h, ct) =>
        {
            var report = new InventoryReport
            {
                SiteId = SiteId,
                HostId = $"host-{h:D3}",
                ObservedAt = now,
                Emulators = Enumerable.Range(0, PerHost).Select(i => new InventoryEmulator
                {
                    Index = i,
                    Title = $"LDPlayer-{i}",
                    State = i % 10 == 0 ? "running" : "stopped",
                    PlayerPid = i % 10 == 0 ? 10_000 + i : -1,
                    VmPid = i % 10 == 0 ? 20_000 + i : -1,
                    Width = 720,
                    Height = 1280,
                    Dpi = 240,
                }).ToList(),
            };
            await results.SendMessageAsync(ProtocolJson.Serialize<RelayReport>(report), visibilityTimeout: null, timeToLive: null, cancellationToken: ct);
        });

        await Poll.UntilAsync(
            async () =>
            {
                var hosts = await api.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{SiteId}/hosts", UriKind.Relative));
                return hosts.EnumerateArray().Sum(h => h.GetProperty("emulatorCount").GetInt32());
            },
            total => total == Hosts * PerHost,
            TimeSpan.FromMinutes(5),
            "the cloud app to apply the inventory");
        var inventorySeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Progress($"inventory applied in {inventorySeconds:0.0} s; labelling 1,000 emulators");

        var puts = new System.Collections.Concurrent.ConcurrentBag<double>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Hosts * PerHost / 10), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var host = i % Hosts;
            var index = i / Hosts * 10 + 1;
            var begun = Stopwatch.GetTimestamp();
            using var response = await api.PutAsJsonAsync($"/api/sites/{SiteId}/hosts/host-{host:D3}/emulators/{index}/labels", new Dictionary<string, string> { ["group"] = "g" + (i % 10).ToString(CultureInfo.InvariantCulture), ["pool"] = "bench" }, ct);
            response.EnsureSuccessStatusCode();
            puts.Add(Stopwatch.GetElapsedTime(begun).TotalMilliseconds);
        });

        return (inventorySeconds, Stats.Of(puts).P50);
    }

    private static async Task<(Stats Stats, double PerSecond)> LoadAsync(Func<int, Task> call, int requests)
    {
        // Warm-up, then the measured run.
        for (var i = 0; i < 20; i++)
        {
            await call(i);
        }

        var samples = new double[requests];
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var begun = Stopwatch.GetTimestamp();
                await call(i);
                samples[i] = Stopwatch.GetElapsedTime(begun).TotalMilliseconds;
            }
        }));
        return (Stats.Of(samples), requests / Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[api bench {DateTime.UtcNow:HH:mm:ss}] {message}");

    private static async Task GetAsync(HttpClient api, string path)
    {
        using var response = await api.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseContentRead);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
