using System.Net.Http.Json;
using System.Text.Json;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>Heartbeats and inventory travel relay -> results queue -> Tables -> API.</summary>
public sealed class InventoryTests : IClassFixture<FleetFixture>
{
    private readonly FleetFixture _fleet;

    public InventoryTests(FleetFixture fleet) => _fleet = fleet;

    [Fact]
    public async Task Relay_HeartbeatMakesSiteOnline()
    {
        var relay = await Poll.UntilAsync(
            async () =>
            {
                using var response = await _fleet.Api.GetAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/relay", UriKind.Relative));
                return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
            },
            r => r.ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(30),
            "a heartbeat");

        Assert.True(relay.GetProperty("online").GetBoolean());
        Assert.Equal(["host-1", "host-2"], relay.GetProperty("hostIds").EnumerateArray().Select(h => h.GetString()));
    }

    [Fact]
    public async Task Launch_ShowsUpInTheInventory()
    {
        var host = _fleet.Hosts[1];
        using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/{host.Id}/emulators/3/launch", UriKind.Relative), null);
        Assert.Equal("Succeeded", (await _fleet.WaitForTerminalAsync(response.Headers.Location!)).Status);

        var emulators = await Poll.UntilAsync(
            async () => await _fleet.Api.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{FleetFixture.SiteId}/emulators?hostId={host.Id}", UriKind.Relative)),
            list => list.EnumerateArray().Any(e => e.GetProperty("index").GetInt32() == 3 && e.GetProperty("state").GetString() != "stopped"),
            TimeSpan.FromSeconds(30),
            "the inventory to show emulator 3 started");

        Assert.Equal(4, emulators.GetArrayLength());
        Assert.All(emulators.EnumerateArray(), e => Assert.Equal(host.Id, e.GetProperty("hostId").GetString()));
    }

    [Fact]
    public async Task Emulators_BadFilter_IsAValidationProblem()
    {
        using var response = await _fleet.Api.GetAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/emulators?state=dancing", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"state\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
