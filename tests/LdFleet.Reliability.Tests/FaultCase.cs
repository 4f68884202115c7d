using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using LdFleet.Testing;
using Xunit.Abstractions;

namespace LdFleet.Reliability.Tests;

/// <summary>
/// One row of the fault matrix. Each operation creates an emulator with a title of its own (ldconsole <c>add</c>),
/// so its side effect can be counted exactly in the simulator's list2, whatever retries happened on the way.
/// </summary>
/// <param name="Attempted">Operations a client asked for (each once, however often it had to retry the request).</param>
/// <param name="Completed">Of those, operations that ended Succeeded.</param>
/// <param name="Ended">Operations that reached any terminal status (Succeeded, Failed, TimedOut, Cancelled).</param>
/// <param name="Lost">Requests with no operation in a terminal status, plus operations that Succeeded without their emulator existing.</param>
/// <param name="Duplicated">Side effects beyond one per request: extra emulators with the same title (and extra operations for one request).</param>
/// <param name="EffectWithoutSuccess">Emulators created by operations that did not succeed (a late run, or an outcome the relay could not prove).</param>
public sealed record FaultCounts(string Case, int Attempted, int Completed, int Ended, int Lost, int Duplicated, int EffectWithoutSuccess)
{
    public static string Header =>
        "| case | attempted | completed | ended (any terminal) | lost | duplicated | effect without success |\n|---|---:|---:|---:|---:|---:|---:|";

    public string Row => string.Create(CultureInfo.InvariantCulture, $"| {Case} | {Attempted} | {Completed} | {Ended} | {Lost} | {Duplicated} | {EffectWithoutSuccess} |");

    /// <summary>Prints the row for the run's log and asserts nothing was lost or repeated.</summary>
    public void Report(ITestOutputHelper output, string outcomes, string? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine(Header);
        output.WriteLine(Row);
        output.WriteLine($"outcomes: {outcomes}");
        FaultMatrixLog.Append(this, outcomes);
        Assert.True(Lost == 0 && Duplicated == 0, $"{Header}\n{Row}\n{diagnostics}");
    }
}

/// <summary>The rows of this test run collected in artifacts/reliability/fault-matrix.md (git-ignored), one table for every case.</summary>
internal static class FaultMatrixLog
{
    private static readonly Lock Gate = new();
    private static bool _started;

    public static void Append(FaultCounts counts, string outcomes)
    {
        var path = Path.Combine(RepoPaths.Root, "artifacts", "reliability", "fault-matrix.md");
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);

            // Each test run starts the table afresh.
            if (!_started)
            {
                _started = true;
                File.WriteAllText(path, "| case | attempted | completed | ended (any terminal) | lost | duplicated | effect without success | outcomes |\n|---|---:|---:|---:|---:|---:|---:|---|\n");
            }

            File.AppendAllText(path, $"{counts.Row} {outcomes} |\n");
        }
    }
}

/// <summary>
/// A batch of <c>add</c> operations against a fleet, started by clients that retry like a careful CLI: after a
/// failed request they look the operation up by its title before asking again, so a retry never makes a second one.
/// </summary>
internal sealed class AddWorkload
{
    private static readonly string[] Terminal = ["Succeeded", "Failed", "TimedOut", "Cancelled"];
    private readonly FleetFixture _fleet;
    private readonly DateTimeOffset _since = DateTimeOffset.UtcNow.AddSeconds(-2);
    private readonly List<(string Title, SimulatedHost Host)> _requests = [];

    public AddWorkload(FleetFixture fleet, string name, int count)
    {
        _fleet = fleet;
        Name = name;
        var tag = Guid.NewGuid().ToString("N")[..6];
        for (var i = 0; i < count; i++)
        {
            _requests.Add((string.Create(CultureInfo.InvariantCulture, $"r-{tag}-{i}"), fleet.Hosts[i % fleet.Hosts.Count]));
        }
    }

    public string Name { get; }

    public IReadOnlyList<string> Titles => [.. _requests.Select(r => r.Title)];

    /// <summary>Starts every operation, <paramref name="parallel"/> at a time; <paramref name="onStarted"/> sees how many were accepted so far.</summary>
    public async Task StartAllAsync(int parallel = 4, Action<int>? onStarted = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
        var started = 0;
        using var gate = new SemaphoreSlim(parallel);
        await Task.WhenAll(_requests.Select(async r =>
        {
            await gate.WaitAsync();
            try
            {
                await StartOneAsync(r.Title, r.Host.Id, deadline);
                onStarted?.Invoke(Interlocked.Increment(ref started));
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private async Task StartOneAsync(string title, string hostId, DateTime deadline)
    {
        var request = new { workflow = "add", siteId = FleetFixture.SiteId, hostId, parameters = new Dictionary<string, string> { ["title"] = title } };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // After a failed request the operation may exist all the same (the row is written first).
                if (attempt > 0 && (await ListAsync()).Any(o => o.Parameters.GetValueOrDefault("title") == title))
                {
                    return;
                }

                using var response = await _fleet.Api.PostAsJsonAsync(new Uri("/api/operations", UriKind.Relative), request);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    return;
                }

                Assert.True((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests, $"add {title} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            catch (HttpRequestException)
            {
                // The cloud app is down (crashed or restarting): try again.
            }
            catch (TaskCanceledException)
            {
                // A request caught by a restart timed out: try again.
            }

            Assert.True(DateTime.UtcNow < deadline, $"add {title} was never accepted\n{_fleet.Diagnostics}");
            await Task.Delay(200);
        }
    }

    /// <summary>The add operations created since this workload began (the operations listing; one page is plenty here).</summary>
    public async Task<List<ListedOperation>> ListAsync()
    {
        var uri = new Uri($"/api/operations?workflow=add&pageSize=1000&createdAfter={Uri.EscapeDataString(_since.ToString("O", CultureInfo.InvariantCulture))}", UriKind.Relative);
        var mine = _requests.Select(r => r.Title).ToHashSet(StringComparer.Ordinal);
        return [.. (await _fleet.Api.GetFromJsonAsync<List<ListedOperation>>(uri))!.Where(o => mine.Contains(o.Parameters.GetValueOrDefault("title") ?? ""))];
    }

    /// <summary>Lets every operation settle (up to <paramref name="timeout"/>), then counts outcomes from the API and side effects from list2.</summary>
    public async Task<FaultCounts> CountAsync(TimeSpan timeout)
    {
        List<ListedOperation> operations;
        try
        {
            operations = await Poll.UntilAsync(
                ListAsync,
                ops => _requests.All(r => ops.Any(o => o.Parameters.GetValueOrDefault("title") == r.Title && Terminal.Contains(o.Status))),
                timeout,
                $"every operation of '{Name}' to end");
        }
        catch (TimeoutException)
        {
            // Counted below as lost rather than thrown: the table shows how many.
            operations = await ListAsync();
        }

        var effects = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var host in _fleet.Hosts)
        {
            foreach (var line in await host.List2Async())
            {
                var title = line.Split(',')[1];
                effects[title] = effects.GetValueOrDefault(title) + 1;
            }
        }

        int attempted = _requests.Count, completed = 0, ended = 0, lost = 0, duplicated = 0, withoutSuccess = 0;
        foreach (var (title, _) in _requests)
        {
            var mine = operations.Where(o => o.Parameters.GetValueOrDefault("title") == title).ToList();
            var made = effects.GetValueOrDefault(title);
            var succeeded = mine.Any(o => o.Status == "Succeeded");
            duplicated += Math.Max(0, mine.Count - 1) + Math.Max(0, made - 1);
            if (!mine.Any(o => Terminal.Contains(o.Status)))
            {
                lost++;
                continue;
            }

            ended++;
            if (succeeded)
            {
                completed++;
                lost += made == 0 ? 1 : 0;
            }
            else
            {
                withoutSuccess += Math.Min(made, 1);
            }
        }

        return new FaultCounts(Name, attempted, completed, ended, lost, duplicated, withoutSuccess);
    }

    /// <summary>How the operations ended, e.g. "Succeeded 16, Failed/InterruptedOutcomeUnknown 8", for the run's log.</summary>
    public async Task<string> OutcomesAsync() =>
        string.Join(", ", (await ListAsync())
            .GroupBy(o => o.ErrorCode is null ? o.Status : $"{o.Status}/{o.ErrorCode}")
            .OrderByDescending(g => g.Count())
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count()}")));

    /// <summary>What went wrong, for an assertion message: statuses and errors of the operations that did not succeed.</summary>
    public async Task<string> DescribeAsync()
    {
        var text = new StringBuilder();
        foreach (var op in (await ListAsync()).Where(o => o.Status != "Succeeded").Take(10))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{op.Id} {op.Parameters.GetValueOrDefault("title")}: {op.Status} {op.ErrorCode} {op.Error}");

            // What the (current) relay said about it, beyond the tail below.
            foreach (var line in _fleet.Relay?.Lines.Where(l => l.Contains(op.Id, StringComparison.Ordinal)) ?? [])
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  relay: {line.Trim()}");
            }
        }

        return text.Append(_fleet.Diagnostics).ToString();
    }
}

/// <summary>An operation as the listing returns it (only what the counts need).</summary>
public sealed record ListedOperation(string Id, string Status, string? ErrorCode, string? Error, Dictionary<string, string> Parameters);
