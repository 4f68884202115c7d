using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Queues;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>Faults around the relay: crashes and duplicate deliveries lose nothing and repeat no side effect.</summary>
public sealed class RelayFaultTests : IClassFixture<FleetFixture>
{
    private readonly FleetFixture _fleet;

    public RelayFaultTests(FleetFixture fleet) => _fleet = fleet;

    [Fact]
    public async Task RelayKilledMidCommand_RedeliveryIsNotRunAgainAndTheEngineRetries()
    {
        var host = _fleet.Hosts[0];
        await host.FaultAsync("hang", "launch", count: 1);

        var location = await LaunchAsync(host.Id, 3);
        await Poll.UntilAsync(() => Task.FromResult(host.JournalCount("launch")), n => n == 1, TimeSpan.FromSeconds(30), "ldconsole launch to start");
        await _fleet.KillRelayAsync();
        await _fleet.StartRelayAsync();

        var done = await _fleet.WaitForTerminalAsync(location);

        // The launch hung and never happened. The restarted relay found attempt 1 in its journal, checked list2
        // and reported the interruption instead of running it again; the engine then retried as attempt 2.
        Assert.True(done.Status == "Succeeded", $"{done.Status} {done.ErrorCode} {done.Error}");
        Assert.Equal(2, done.Attempt);
        Assert.Equal(2, host.JournalCount("launch"));
    }

    [Fact]
    public async Task LdConsoleCrash_IsRetriedWithANewAttemptAndSucceeds()
    {
        var host = _fleet.Hosts[0];
        await host.FaultAsync("crash", "launch", count: 1);
        var before = host.JournalCount("launch");

        var done = await _fleet.WaitForTerminalAsync(await LaunchAsync(host.Id, 2));

        Assert.True(done.Status == "Succeeded", $"{done.Status} {done.ErrorCode} {done.Error}");
        Assert.Equal(2, done.Attempt);
        Assert.Equal(before + 2, host.JournalCount("launch"));
    }

    [Fact]
    public async Task EveryCommandDeliveredThreeTimes_IsExecutedOnce()
    {
        var host = _fleet.Hosts[1];
        var operations = new List<OperationDto>();
        for (var i = 0; i < 12; i++)
        {
            var action = i / 4 % 2 == 0 ? "launch" : "quit";
            using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/{host.Id}/emulators/{i % 4}/{action}", UriKind.Relative), null);
            var done = await _fleet.WaitForTerminalAsync(response.Headers.Location!);
            Assert.Equal("Succeeded", done.Status);
            operations.Add(done);
        }

        var launches = host.JournalCount("launch");
        var quits = host.JournalCount("quit");
        Assert.Equal((8, 4), (launches, quits));

        // Deliver every command twice more, concurrently, as an at-least-once broker may.
        var queue = new QueueClient(_fleet.StorageConnectionString, $"ldfleet-site-{FleetFixture.SiteId}", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await Task.WhenAll(operations.SelectMany(op => new[] { op, op }).Select(op => queue.SendMessageAsync(BinaryData.FromString(CommandJson(op, host.Id)))));
        await Poll.UntilAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount, n => n == 0, TimeSpan.FromSeconds(60), "the duplicates to be consumed");

        Assert.Equal((launches, quits), (host.JournalCount("launch"), host.JournalCount("quit")));
        foreach (var op in operations)
        {
            Assert.Equal("Succeeded", (await _fleet.Api.GetFromJsonAsync<OperationDto>(new Uri($"/api/operations/{op.Id}", UriKind.Relative)))!.Status);
        }
    }

    private static string CommandJson(OperationDto operation, string hostId) => JsonSerializer.Serialize(new
    {
        schemaVersion = 1,
        commandId = $"{operation.Id}.1.1",
        operationId = operation.Id,
        siteId = FleetFixture.SiteId,
        hostId,
        action = operation.Workflow,
        index = operation.Index,
        issuedAt = DateTimeOffset.UtcNow,
        deliverBy = DateTimeOffset.UtcNow.AddMinutes(5),
    });

    private async Task<Uri> LaunchAsync(string hostId, int index)
    {
        using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/{hostId}/emulators/{index}/launch", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return response.Headers.Location!;
    }
}
