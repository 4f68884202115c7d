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
    public async Task RelayKilledMidCommand_RedeliveryIsSettledWithoutRunningLdConsoleAgain()
    {
        var host = _fleet.Hosts[0];
        await host.FaultAsync("hang", "launch", count: 1);

        var location = await LaunchAsync(host.Id, 3);
        await Poll.UntilAsync(() => Task.FromResult(host.JournalCount("launch")), n => n == 1, TimeSpan.FromSeconds(30), "ldconsole launch to start");
        await _fleet.KillRelayAsync();
        await _fleet.StartRelayAsync();

        var done = await _fleet.WaitForTerminalAsync(location);

        // The launch hung and never happened; the restarted relay saw its journal entry, checked list2 and
        // reported the interruption instead of launching a second time.
        Assert.Equal("Failed", done.Status);
        Assert.Equal("Interrupted", done.ErrorCode);
        Assert.Equal(1, host.JournalCount("launch"));
    }

    [Fact]
    public async Task CommandDeliveredThreeTimes_IsExecutedOnce()
    {
        var host = _fleet.Hosts[1];
        var location = await LaunchAsync(host.Id, 1);
        var done = await _fleet.WaitForTerminalAsync(location);
        Assert.Equal("Succeeded", done.Status);

        // Deliver the same command twice more, as an at-least-once broker may.
        var queue = new QueueClient(_fleet.StorageConnectionString, $"ldfleet-site-{FleetFixture.SiteId}", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var command = JsonSerializer.Serialize(new
        {
            schemaVersion = 1,
            commandId = $"{done.Id}.1.1",
            operationId = done.Id,
            siteId = FleetFixture.SiteId,
            hostId = host.Id,
            action = "launch",
            index = 1,
            issuedAt = DateTimeOffset.UtcNow,
            deliverBy = DateTimeOffset.UtcNow.AddMinutes(5),
        });
        await queue.SendMessageAsync(BinaryData.FromString(command));
        await queue.SendMessageAsync(BinaryData.FromString(command));
        await Poll.UntilAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount, n => n == 0, TimeSpan.FromSeconds(30), "the duplicates to be consumed");

        Assert.Equal(1, host.JournalCount("launch"));
        var after = await _fleet.Api.GetFromJsonAsync<OperationDto>(location);
        Assert.Equal("Succeeded", after!.Status);
    }

    private async Task<Uri> LaunchAsync(string hostId, int index)
    {
        using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/{hostId}/emulators/{index}/launch", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return response.Headers.Location!;
    }
}
