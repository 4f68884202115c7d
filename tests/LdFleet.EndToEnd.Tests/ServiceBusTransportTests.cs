using System.Net;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>
/// The fleet with commands on Service Bus: the cloud app and the relay on Azure.Messaging.ServiceBus against the test
/// broker, the relay holding only its site's Listen rule and the API-issued add-only SAS of the results queue.
/// </summary>
public sealed class ServiceBusTransportTests : IClassFixture<ServiceBusFleetFixture>
{
    private readonly ServiceBusFleetFixture _fleet;

    public ServiceBusTransportTests(ServiceBusFleetFixture fleet) => _fleet = fleet;

    [Fact]
    public async Task LaunchAndQuit_OverServiceBus_Succeed()
    {
        var host = _fleet.Hosts[0];
        foreach (var action in new[] { "launch", "quit" })
        {
            using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/{host.Id}/emulators/1/{action}", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

            var done = await _fleet.WaitForTerminalAsync(response.Headers.Location!);

            Assert.True(done.Status == "Succeeded", $"{action}: {done.Status} {done.ErrorCode} {done.Error}\n{_fleet.Diagnostics}");
        }

        Assert.Equal(1, host.JournalCount("launch"));
        Assert.Equal(1, host.JournalCount("quit"));
    }

    [Fact]
    public Task BrokerRestartDuring200Operations_AllComplete() =>
        OutageScenario.RunAsync(_fleet, _fleet.Broker.StopAsync, () =>
        {
            _fleet.Broker.StartAgain();
            return Task.CompletedTask;
        });

    [Fact]
    public async Task MissingEmulator_OverServiceBus_FailsWithLdConsoleMessage()
    {
        using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/host-2/emulators/77/launch", UriKind.Relative), null);

        var done = await _fleet.WaitForTerminalAsync(response.Headers.Location!);

        Assert.Equal("PlayerNotFound", done.ErrorCode);
        Assert.Contains("player don't exist!", done.Output, StringComparison.Ordinal);
    }
}
