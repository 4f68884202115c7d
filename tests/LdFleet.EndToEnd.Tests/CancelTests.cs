using System.Net;
using System.Net.Http.Json;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>Cancelling reaches the relay: a hung ldconsole is stopped and the host stays usable.</summary>
public sealed class CancelTests : IClassFixture<FleetFixture>
{
    private readonly FleetFixture _fleet;

    public CancelTests(FleetFixture fleet) => _fleet = fleet;

    [Fact]
    public async Task CancelRunningInstall_StopsLdConsoleOnTheRelay_AndTheHostStaysUsable()
    {
        var host = _fleet.Hosts[1];
        await host.FaultAsync("hang", "installapp", count: 1);
        var install = new { workflow = "installapp", siteId = FleetFixture.SiteId, hostId = host.Id, index = 2, parameters = new Dictionary<string, string> { ["packageName"] = "com.example.slow" } };
        var location = await WorkflowTests.StartAsync(_fleet.Api, install);

        // The relay reports long commands' start, so the step shows Running while ldconsole hangs.
        await Poll.UntilAsync(async () => (await _fleet.Api.GetFromJsonAsync<OperationDto>(location))!, o => o.Steps[0].Status == "Running", TimeSpan.FromSeconds(30), "the install to run");

        using var cancel = await _fleet.Api.PostAsync(new Uri($"{location}/cancel", UriKind.RelativeOrAbsolute), null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var cancelled = (await _fleet.Api.GetFromJsonAsync<OperationDto>(location))!;
        Assert.Equal(("Cancelled", "Cancelled"), (cancelled.Status, cancelled.Steps[0].Status));
        await _fleet.Relay.WaitForLineAsync(l => l.Contains("cancel requested; stopping it", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

        var again = await _fleet.WaitForTerminalAsync(await WorkflowTests.StartAsync(_fleet.Api, new { workflow = "launch", siteId = FleetFixture.SiteId, hostId = host.Id, index = 2 }));
        Assert.True(again.Status == "Succeeded", $"{again.Status} {again.ErrorCode} {again.Error}");
        using var late = await _fleet.Api.PostAsync(new Uri($"{location}/cancel", UriKind.RelativeOrAbsolute), null);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }
}
