using System.Net.Http.Json;
using System.Text.Json;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Tests.Api;
using LdFleet.Functions.Tests.Inventory;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Tests.Sites;

/// <summary>The circuits a relay reports in its heartbeat, as the hosts API serves them (and the relay's uptime).</summary>
[Collection("api")]
public sealed class HostCircuitApiTests
{
    private readonly ApiFixture _fixture;

    public HostCircuitApiTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Heartbeat_WithAnOpenCircuit_ShowsAsCircuitAndMakesTheHostUnreachable()
    {
        var site = ApiFixture.NewSiteId("c");
        var now = DateTimeOffset.UtcNow;
        var inventory = _fixture.SelfHosted.Get<InventoryStore>();
        await inventory.ApplyInventoryAsync(InventoryApiTests.Report(site, "host-1", now, [0]), default);
        await inventory.ApplyInventoryAsync(InventoryApiTests.Report(site, "host-2", now, [0]), default);
        var opened = now.AddSeconds(-20);
        await inventory.RecordHeartbeatAsync(new RelayHeartbeat
        {
            SiteId = site,
            InstanceId = "i1",
            Version = "1.2.3",
            StartedAt = now.AddHours(-2),
            SentAt = now,
            Uptime = TimeSpan.FromHours(2),
            HostIds = ["host-1", "host-2"],
            Circuits =
            [
                new HostCircuit { HostId = "host-1", State = CircuitStates.Closed, Since = now.AddHours(-2) },
                new HostCircuit
                {
                    HostId = "host-2",
                    State = CircuitStates.Open,
                    Since = opened,
                    ConsecutiveFailures = 3,
                    LastError = "ldconsole could not be started: No such file or directory" + new string('!', 2000),
                    LastErrorAt = opened,
                    RetryAt = opened.AddSeconds(30),
                },
            ],
        }, now, default);
        using var reader = _fixture.SelfHosted.Client(FleetRoles.Read);

        var sick = await reader.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{site}/hosts/host-2", UriKind.Relative));
        var healthy = await reader.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{site}/hosts/host-1", UriKind.Relative));
        var listed = await reader.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{site}/hosts", UriKind.Relative));
        var relay = await reader.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{site}/relay", UriKind.Relative));

        var circuit = sick.GetProperty("circuit");
        Assert.Equal("unreachable", sick.GetProperty("status").GetString());
        Assert.Equal("open", circuit.GetProperty("state").GetString());
        Assert.Equal(3, circuit.GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal(opened, circuit.GetProperty("since").GetDateTimeOffset());
        Assert.Equal(opened.AddSeconds(30), circuit.GetProperty("retryAt").GetDateTimeOffset());
        Assert.StartsWith("ldconsole could not be started", circuit.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.True(circuit.GetProperty("lastError").GetString()!.Length < 600, "long errors are shortened");
        Assert.Equal(("ok", "closed"), (healthy.GetProperty("status").GetString(), healthy.GetProperty("circuit").GetProperty("state").GetString()));
        Assert.Equal(["closed", "open"], listed.EnumerateArray().Select(h => h.GetProperty("circuit").GetProperty("state").GetString()));
        Assert.Equal(TimeSpan.FromHours(2), TimeSpan.Parse(relay.GetProperty("uptime").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task HeartbeatOfAnOlderRelay_HasNoCircuitAndNoUptime()
    {
        var site = ApiFixture.NewSiteId("c");
        var inventory = _fixture.SelfHosted.Get<InventoryStore>();
        await inventory.RecordHeartbeatAsync(new RelayHeartbeat { SiteId = site, InstanceId = "i1", Version = "0.9", StartedAt = DateTimeOffset.UtcNow, SentAt = DateTimeOffset.UtcNow, HostIds = ["host-1"] }, DateTimeOffset.UtcNow, default);
        using var reader = _fixture.SelfHosted.Client(FleetRoles.Read);

        var host = await reader.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{site}/hosts/host-1", UriKind.Relative));
        var relay = await reader.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{site}/relay", UriKind.Relative));

        Assert.Equal(JsonValueKind.Null, host.GetProperty("circuit").ValueKind);
        Assert.Equal(JsonValueKind.Null, relay.GetProperty("uptime").ValueKind);
    }
}
