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

    public static TheoryData<string> Boundaries() => ["before-send", "after-send", "after-state-write", "before-mark-done"];

    [Theory]
    [MemberData(nameof(Boundaries))]
    public async Task CloudAppCrashesAtDriverBoundary(string boundary)
    {
        var workload = new AddWorkload(_fleet, $"cloud app crash at {boundary}", Operations / 2);
        await _fleet.KillCloudAsync();

        // The third pass of the boundary crashes the app (Environment.FailFast, as an OOM kill would), mid-workload.
        await _fleet.StartCloudAsync(new Dictionary<string, string?> { ["Operations__CrashAt"] = $"{boundary}:3", ["Operations__SendRecordDelay"] = "00:00:00" });
        var clients = workload.StartAllAsync();
        await Poll.UntilAsync(() => Task.FromResult(_fleet.Cloud.HasExited), exited => exited, TimeSpan.FromSeconds(60), $"the cloud app to crash at {boundary}\n{_fleet.Diagnostics}");
        await _fleet.KillCloudAsync();
        await _fleet.StartCloudAsync();
        await clients;

        (await workload.CountAsync(Settle)).Report(_output, await workload.OutcomesAsync(), await workload.DescribeAsync());
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
