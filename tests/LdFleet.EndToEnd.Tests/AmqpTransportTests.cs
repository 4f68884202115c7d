using System.Net;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

public sealed class AmqpTransportTests : IClassFixture<AmqpFleetFixture>
{
    private readonly AmqpFleetFixture _fleet;

    public AmqpTransportTests(AmqpFleetFixture fleet) => _fleet = fleet;

    [Fact]
    public async Task LaunchAndQuit_OverAmqp_Succeed()
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
        OutageScenario.RunAsync(_fleet, _fleet.Broker.StopAsync, () => _fleet.Broker.StartAgainAsync());

    [Fact]
    public async Task MissingEmulator_OverAmqp_FailsWithLdConsoleMessage()
    {
        using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/host-2/emulators/77/launch", UriKind.Relative), null);

        var done = await _fleet.WaitForTerminalAsync(response.Headers.Location!);

        Assert.Equal("PlayerNotFound", done.ErrorCode);
        Assert.Contains("player don't exist!", done.Output, StringComparison.Ordinal);
    }
}
