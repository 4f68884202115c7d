using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using LdFleet.Testing;
using Xunit.Abstractions;

namespace LdFleet.Reliability.Tests;

/// <summary>A fleet of its own for the soak, so the fault cases' restarts do not reset the processes it watches.</summary>
public sealed class SoakFleetFixture : FleetFixture;

/// <summary>
/// A mixed workload (launch, reboot, quit on every emulator; provision and delete of new ones) for
/// <c>LDFLEET_SOAK_MINUTES</c> (default 2, for CI: the first half lets the heaps settle; 30 for the real soak, see ./dev.sh bench --soak), sampling
/// the resident memory of the cloud app and the relay. Memory must level off: over the second half of the run
/// it may not grow by more than 15 % of its mean, or 24 MiB (Theil-Sen slope, robust to GC saw-teeth).
/// </summary>
[Trait("Category", "Reliability")]
public sealed class SoakTests : IClassFixture<SoakFleetFixture>
{
    // Growth allowed across the second half: 15 % of its mean RSS, and never less than 24 MiB, because in a
    // one-minute CI soak a server-GC heap still settling in moves by that much. A leak of a few KB per operation
    // over the thousands of operations of a 30-minute soak exceeds it.
    private const double MaxRelativeGrowth = 0.15;
    private const double MinAllowedGrowthMiB = 24;
    private readonly SoakFleetFixture _fleet;
    private readonly ITestOutputHelper _output;

    public SoakTests(SoakFleetFixture fleet, ITestOutputHelper output)
    {
        _fleet = fleet;
        _output = output;
    }

    private static TimeSpan Duration =>
        TimeSpan.FromMinutes(double.TryParse(Environment.GetEnvironmentVariable("LDFLEET_SOAK_MINUTES"), CultureInfo.InvariantCulture, out var minutes) && minutes > 0 ? minutes : 2);

    [Fact]
    public async Task MixedWorkload_MemoryLevelsOff_EveryOperationSucceeds()
    {
        var duration = Duration;
        var samples = new List<(double Seconds, double Cloud, double Relay)>();
        var started = Stopwatch.GetTimestamp();
        using var stop = new CancellationTokenSource(duration);
        var sampler = Task.Run(async () =>
        {
            var interval = TimeSpan.FromSeconds(Math.Clamp(duration.TotalSeconds / 60, 1, 30));
            while (!stop.IsCancellationRequested)
            {
                samples.Add((Stopwatch.GetElapsedTime(started).TotalSeconds, RssMiB(_fleet.Cloud.Id), RssMiB(_fleet.Relay.Id)));
                await Task.Delay(interval, CancellationToken.None);
            }
        });

        var succeeded = 0;
        var failures = new List<string>();
        var emulatorClients = _fleet.Hosts.SelectMany(h => Enumerable.Range(0, 4).Select(i => (Host: h.Id, Index: i))).Select(async target =>
        {
            string[] cycle = ["launch", "reboot", "quit"];
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var path = string.Create(CultureInfo.InvariantCulture, $"/api/sites/{FleetFixture.SiteId}/hosts/{target.Host}/emulators/{target.Index}/{cycle[n % cycle.Length]}");
                Record(await RunAsync(() => _fleet.Api.PostAsync(new Uri(path, UriKind.Relative), null)));
            }
        });
        var provisioning = Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var host = _fleet.Hosts[n % _fleet.Hosts.Count].Id;
                var title = string.Create(CultureInfo.InvariantCulture, $"soak-{n}");
                var provision = await RunAsync(() => _fleet.Api.PostAsJsonAsync(new Uri("/api/operations", UriKind.Relative), new
                {
                    workflow = "provision",
                    siteId = FleetFixture.SiteId,
                    hostId = host,
                    parameters = new Dictionary<string, string> { ["title"] = title, ["apps"] = "com.example.app" },
                }));
                Record(provision);
                if (provision.Status == "Succeeded")
                {
                    Record(await RunAsync(() => _fleet.Api.PostAsJsonAsync(new Uri("/api/operations", UriKind.Relative), new
                    {
                        workflow = "delete",
                        siteId = FleetFixture.SiteId,
                        hostId = host,
                        index = int.Parse(provision.Result["index"], CultureInfo.InvariantCulture),
                    })));
                }
            }
        });

        await Task.WhenAll([.. emulatorClients, provisioning]);
        await sampler;

        void Record(OperationDto operation)
        {
            lock (failures)
            {
                if (operation.Status == "Succeeded")
                {
                    succeeded++;
                }
                else
                {
                    failures.Add($"{operation.Workflow} {operation.HostId}/{operation.Index}: {operation.Status} {operation.ErrorCode} {operation.Error}");
                }
            }
        }

        var secondHalf = samples.Where(s => s.Seconds >= duration.TotalSeconds / 2).ToList();
        var cloud = Growth(secondHalf.Select(s => (s.Seconds, s.Cloud)).ToList());
        var relay = Growth(secondHalf.Select(s => (s.Seconds, s.Relay)).ToList());
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak {duration.TotalMinutes:0.#} min: {succeeded} operations succeeded, {failures.Count} did not; {samples.Count} samples"));
        _output.WriteLine("| process | RSS first sample MiB | mean second half MiB | growth across second half MiB | relative |");
        _output.WriteLine("|---|---:|---:|---:|---:|");
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| cloud app | {samples[0].Cloud:0.0} | {cloud.Mean:0.0} | {cloud.Growth:0.0} | {cloud.Growth / cloud.Mean:0.000} |"));
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| relay | {samples[0].Relay:0.0} | {relay.Mean:0.0} | {relay.Growth:0.0} | {relay.Growth / relay.Mean:0.000} |"));

        Assert.True(failures.Count == 0, $"{failures.Count} operations did not succeed:\n{string.Join('\n', failures.Take(10))}\n{_fleet.Diagnostics}");
        Assert.True(succeeded > 0, "the workload ran no operation");
        Assert.True(secondHalf.Count >= 5, $"only {secondHalf.Count} samples in the second half");
        Assert.True(cloud.Growth < Allowed(cloud.Mean), $"cloud app RSS grew {cloud.Growth:0.0} MiB across the second half (mean {cloud.Mean:0.0} MiB)");
        Assert.True(relay.Growth < Allowed(relay.Mean), $"relay RSS grew {relay.Growth:0.0} MiB across the second half (mean {relay.Mean:0.0} MiB)");
    }

    private static double Allowed(double meanMiB) => Math.Max(MaxRelativeGrowth * meanMiB, MinAllowedGrowthMiB);

    /// <summary>Starts an operation and waits for it to end; client errors fail the test, an unreachable API is retried.</summary>
    private async Task<OperationDto> RunAsync(Func<Task<HttpResponseMessage>> start)
    {
        using var response = await start();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await _fleet.WaitForTerminalAsync(response.Headers.Location!, TimeSpan.FromMinutes(2));
    }

    /// <summary>Theil-Sen slope (median of pairwise slopes) times the span: how much the series grew, ignoring outliers.</summary>
    internal static (double Mean, double Growth) Growth(IReadOnlyList<(double Seconds, double Value)> series)
    {
        var slopes = new List<double>();
        for (var i = 0; i < series.Count; i++)
        {
            for (var j = i + 1; j < series.Count; j++)
            {
                if (series[j].Seconds > series[i].Seconds)
                {
                    slopes.Add((series[j].Value - series[i].Value) / (series[j].Seconds - series[i].Seconds));
                }
            }
        }

        slopes.Sort();
        var slope = slopes.Count == 0 ? 0 : slopes[slopes.Count / 2];
        return (series.Average(s => s.Value), slope * (series[^1].Seconds - series[0].Seconds));
    }

    private static double RssMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }
}
