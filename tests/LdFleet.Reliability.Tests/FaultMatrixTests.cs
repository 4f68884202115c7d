using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Queues;
using LdFleet.Testing;
using Xunit.Abstractions;

namespace LdFleet.Reliability.Tests;

/// <summary>A fleet on Storage Queues whose Azurite keeps its data on disk, so storage can go down and come back.</summary>
public sealed class ReliabilityFleetFixture : FleetFixture
{
    protected override bool PersistentStorage => true;
}

/// <summary>
/// The fault matrix on the Storage Queues transport: each case runs a batch of emulator creations, injects one
/// fault, lets everything settle and counts, per request, whether it ended, whether it succeeded, and how many
/// emulators it made. Nothing may be lost and nothing may happen twice.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class FaultMatrixTests : IClassFixture<ReliabilityFleetFixture>
{
    private const int Operations = 24;
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(2);
    private readonly ReliabilityFleetFixture _fleet;
    private readonly ITestOutputHelper _output;

    public FaultMatrixTests(ReliabilityFleetFixture fleet, ITestOutputHelper output)
    {
        _fleet = fleet;
        _output = output;
    }

    [Fact]
    public async Task RelayKilledMidCommand()
    {
        var workload = new AddWorkload(_fleet, "relay kill -9 mid-command", Operations);

        // The first add hangs inside ldconsole, so the kill certainly lands while a command runs; others are in flight too.
        await _fleet.Hosts[0].FaultAsync("hang", "add", count: 1);
        var killAt = new TaskCompletionSource();
        var clients = workload.StartAllAsync(onStarted: n => { if (n == Operations / 2) { killAt.TrySetResult(); } });
        await killAt.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await Poll.UntilAsync(() => Task.FromResult(_fleet.Hosts[0].JournalCount("add")), n => n >= 1, TimeSpan.FromSeconds(30), "an add to run");
        await _fleet.KillRelayAsync();
        await _fleet.StartRelayAsync();
        await clients;

        // Longer than the others: the interrupted command comes back only once its lock lapses on the queue.
        (await workload.CountAsync(2 * Settle)).Report(_output, await workload.OutcomesAsync(), await workload.DescribeAsync());
    }

    public static TheoryData<string> CloudKillMoments() => ["while commands go out", "while answers come back"];

    /// <summary>
    /// Kill -9 of the cloud app mid-workload: right after the first creations reach the relay (sends and their
    /// activities in flight), or once half of them ran (answers being applied, next activities running). Durable Task
    /// replays from the history after the restart; activities and events come again, and nothing may run twice.
    /// </summary>
    [Theory]
    [MemberData(nameof(CloudKillMoments))]
    public async Task CloudAppKilled(string moment)
    {
        var workload = new AddWorkload(_fleet, $"cloud app kill -9 {moment}", Operations / 2);
        var ran = moment == "while commands go out" ? 1 : Operations / 4;
        var clients = workload.StartAllAsync();
        await Poll.UntilAsync(() => Task.FromResult(workload.Titles.Sum(t => _fleet.Hosts.Sum(h => h.JournalCount("add", "--name", t)))), n => n >= ran, TimeSpan.FromMinutes(2), $"{ran} creations to run\n{_fleet.Diagnostics}");
        await _fleet.KillCloudAsync();
        await _fleet.StartCloudAsync();
        await clients;

        (await workload.CountAsync(Settle)).Report(_output, await workload.OutcomesAsync(), await workload.DescribeAsync());
    }

    /// <summary>Kill -9 of the cloud app while a batch starts its children: every target is created once, none is lost.</summary>
    [Fact]
    public async Task CloudAppKilledDuringBatchFanOut()
    {
        var title = "batch-" + Guid.NewGuid().ToString("N")[..6];
        var targets = Enumerable.Range(0, Operations / 2).Select(i => new { siteId = FleetFixture.SiteId, hostId = _fleet.Hosts[i % _fleet.Hosts.Count].Id, index = i }).ToArray();
        using var response = await _fleet.Api.PostAsJsonAsync(new Uri("/api/batches", UriKind.Relative), new
        {
            workflow = "add",
            parameters = new Dictionary<string, string> { ["title"] = title },
            selector = new { targets },
            maxConcurrency = 4,
        });
        response.EnsureSuccessStatusCode();
        var created = () => Task.FromResult(_fleet.Hosts.Sum(h => h.JournalCount("add", "--name", title)));
        await Poll.UntilAsync(created, n => n >= 2, TimeSpan.FromMinutes(2), $"the batch's first children to run\n{_fleet.Diagnostics}");
        await _fleet.KillCloudAsync();
        await _fleet.StartCloudAsync();

        var batch = await Poll.UntilAsync(
            async () => await _fleet.Api.GetFromJsonAsync<JsonElement>(response.Headers.Location!),
            b => b.GetProperty("status").GetString() is "Succeeded" or "Failed" or "Cancelled",
            Settle,
            $"the batch to end\n{_fleet.Diagnostics}");
        var counts = batch.GetProperty("counts");
        var succeeded = counts.GetProperty("succeeded").GetInt32();
        var effects = await created();
        var row = new FaultCounts("cloud app kill -9 during a batch fan-out", targets.Length, succeeded, targets.Length - counts.GetProperty("pending").GetInt32() - counts.GetProperty("running").GetInt32(),
            Lost: targets.Length - succeeded, Duplicated: Math.Max(0, effects - targets.Length), EffectWithoutSuccess: Math.Max(0, effects - succeeded));
        row.Report(_output, batch.GetProperty("status").GetString()!, _fleet.Diagnostics);
    }

    [Fact]
    public async Task AzuriteRestarts()
    {
        var workload = new AddWorkload(_fleet, "Azurite restart (tables and queues)", Operations);
        var outage = new TaskCompletionSource();
        var clients = workload.StartAllAsync(onStarted: n => { if (n == Operations / 4) { outage.TrySetResult(); } });
        await outage.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await _fleet.Storage.StopAsync();

        // The outage's length is the fault being injected, not a wait for something to happen.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await _fleet.Storage.StartAgainAsync();
        await clients;

        (await workload.CountAsync(Settle)).Report(_output, await workload.OutcomesAsync(), await workload.DescribeAsync());
    }

    [Fact]
    public async Task EveryCommandDeliveredThreeTimes()
    {
        var workload = new AddWorkload(_fleet, "triple delivery", Operations);
        await workload.StartAllAsync();
        await workload.CountAsync(Settle);

        // Each command twice more, concurrently, as an at-least-once broker may deliver it.
        var queue = new QueueClient(_fleet.StorageConnectionString, $"ldfleet-site-{FleetFixture.SiteId}", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var commands = new List<string>();
        foreach (var listed in await workload.ListAsync())
        {
            var operation = (await _fleet.Api.GetFromJsonAsync<OperationDto>(new Uri($"/api/operations/{listed.Id}", UriKind.Relative)))!;
            commands.Add(CommandJson(operation, operation.Steps[^1].CommandId, listed.Parameters["title"]));
        }

        await Task.WhenAll(commands.SelectMany(c => new[] { c, c }).Select(c => queue.SendMessageAsync(BinaryData.FromString(c))));
        await Poll.UntilAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount, n => n == 0, TimeSpan.FromSeconds(60), "the duplicates to be consumed");

        var counts = await workload.CountAsync(Settle);
        Assert.Equal(Operations, workload.Titles.Sum(t => _fleet.Hosts.Sum(h => h.JournalCount("add", "--name", t))));
        counts.Report(_output, await workload.OutcomesAsync(), await workload.DescribeAsync());
    }

    public static TheoryData<string> Skews() => ["00:02:00", "-00:02:00"];

    [Theory]
    [MemberData(nameof(Skews))]
    public async Task RelayClockSkewedAgainstTheCloud(string offset)
    {
        var workload = new AddWorkload(_fleet, $"relay clock {offset} off the cloud's", Operations / 2);
        await _fleet.KillRelayAsync();
        await _fleet.StartRelayAsync(new Dictionary<string, string?> { ["Relay__ClockOffset"] = offset });
        try
        {
            await workload.StartAllAsync();
            (await workload.CountAsync(Settle)).Report(_output, await workload.OutcomesAsync(), await workload.DescribeAsync());
        }
        finally
        {
            await _fleet.KillRelayAsync();
            await _fleet.StartRelayAsync();
        }
    }

    [Fact]
    public async Task SiteOfflineLongerThanTheDeliveryDeadline()
    {
        var workload = new AddWorkload(_fleet, "site offline past the delivery deadline", Operations / 2);
        await _fleet.KillRelayAsync();
        await _fleet.KillCloudAsync();
        await _fleet.StartCloudAsync(new Dictionary<string, string?> { ["Operations__DeliveryTimeout"] = "00:00:02" });
        try
        {
            await workload.StartAllAsync();

            // The site comes back only once every command's delivery deadline has passed.
            var deliverBy = new List<DateTimeOffset>();
            foreach (var listed in await workload.ListAsync())
            {
                var operation = await _fleet.Api.GetFromJsonAsync<JsonElement>(new Uri($"/api/operations/{listed.Id}", UriKind.Relative));
                deliverBy.Add(operation.GetProperty("steps")[0].GetProperty("deliverBy").GetDateTimeOffset());
            }

            await Poll.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow), now => now > deliverBy.Max().AddSeconds(1), TimeSpan.FromSeconds(30), "the delivery deadlines to pass");
            await _fleet.StartRelayAsync();

            var counts = await workload.CountAsync(Settle);
            var expired = (await workload.ListAsync()).Count(o => o.Status == "TimedOut");
            _output.WriteLine($"{expired} of {workload.Titles.Count} ended TimedOut");
            Assert.Equal(0, workload.Titles.Sum(t => _fleet.Hosts.Sum(h => h.JournalCount("add", "--name", t))));
            Assert.Equal(0, counts.EffectWithoutSuccess);
            Assert.Equal(workload.Titles.Count, expired);
            counts.Report(_output, await workload.OutcomesAsync(), await workload.DescribeAsync());
        }
        finally
        {
            await _fleet.KillCloudAsync();
            await _fleet.StartCloudAsync();
            if (_fleet.Relay is null || _fleet.Relay.HasExited)
            {
                await _fleet.StartRelayAsync();
            }
        }
    }

    private static string CommandJson(OperationDto operation, string commandId, string title) => JsonSerializer.Serialize(new
    {
        schemaVersion = 1,
        commandId,
        operationId = operation.Id,
        siteId = FleetFixture.SiteId,
        hostId = operation.HostId,
        action = "add",
        parameters = new Dictionary<string, string> { ["title"] = title },
        issuedAt = DateTimeOffset.UtcNow,
        deliverBy = DateTimeOffset.UtcNow.AddMinutes(5),
    });
}
