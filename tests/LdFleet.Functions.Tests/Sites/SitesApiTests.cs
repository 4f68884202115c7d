using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Tests.Api;
using LdFleet.Functions.Tests.Inventory;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Tests.Sites;

/// <summary>Sites, hosts and per-site relay credentials.</summary>
[Collection("api")]
public sealed class SitesApiTests
{
    private readonly ApiFixture _fixture;

    public SitesApiTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Register_ReturnsCredentialsTheBrokerLimitsToTheSite()
    {
        using var admin = _fixture.SelfHosted.Client(FleetRoles.Admin);
        var site = ApiFixture.NewSiteId();
        var other = ApiFixture.NewSiteId();
        using var registered = await admin.PostAsJsonAsync("/api/sites", new { id = site, displayName = "Shenzhen lab" });
        using var otherRegistered = await admin.PostAsJsonAsync("/api/sites", new { id = other });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.Equal($"/api/sites/{site}", registered.Headers.Location!.OriginalString);
        var body = await registered.ReadAsync();
        var queues = body.GetProperty("relayCredentials").GetProperty("queues");
        var commands = new QueueClient(new Uri(queues.GetProperty("commands").GetProperty("url").GetString()!));
        var results = new QueueClient(new Uri(queues.GetProperty("results").GetProperty("url").GetString()!));

        // What the site's relay needs works...
        await new QueueClient(_fixture.Azurite.ConnectionString, $"ldfleet-site-{site}").SendMessageAsync("command");
        Assert.Single((await commands.ReceiveMessagesAsync(1)).Value);
        await results.SendMessageAsync("result");

        // ...and nothing else: another site's commands, or reading the shared results.
        var foreign = new QueueClient(new Uri(commands.Uri.ToString().Replace($"ldfleet-site-{site}?", $"ldfleet-site-{other}?", StringComparison.Ordinal)));
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => foreign.ReceiveMessagesAsync(1))).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => results.ReceiveMessagesAsync(1))).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => commands.SendMessageAsync("forged command"))).Status);

        // Rotating revokes the old command-queue credential at once.
        using var rotated = await admin.PostAsync(new Uri($"/api/sites/{site}/relay-credentials", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => commands.ReceiveMessagesAsync(1))).Status);
        var fresh = new QueueClient(new Uri((await rotated.ReadAsync()).GetProperty("queues").GetProperty("commands").GetProperty("url").GetString()!));
        await fresh.ReceiveMessagesAsync(1);

        // Deleting the site revokes the new one too.
        using var deleted = await admin.DeleteAsync(new Uri($"/api/sites/{site}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => fresh.ReceiveMessagesAsync(1))).Status);
    }

    [Fact]
    public async Task Sites_ListShowDelete_WithRelayStatus()
    {
        using var admin = _fixture.SelfHosted.Client(FleetRoles.Admin);
        using var reader = _fixture.SelfHosted.Client(FleetRoles.Read);
        var site = ApiFixture.NewSiteId("s");
        (await admin.PostAsJsonAsync("/api/sites", new { id = site })).Dispose();
        using var duplicate = await admin.PostAsJsonAsync("/api/sites", new { id = site });
        await duplicate.AssertProblemAsync(HttpStatusCode.Conflict, "conflict");

        var before = await reader.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{site}", UriKind.Relative));
        Assert.Equal("never-seen", before.GetProperty("status").GetString());
        var inventory = _fixture.SelfHosted.Get<InventoryStore>();
        await inventory.RecordHeartbeatAsync(new RelayHeartbeat { SiteId = site, InstanceId = "i1", Version = "1.2.3", StartedAt = DateTimeOffset.UtcNow, SentAt = DateTimeOffset.UtcNow, HostIds = ["host-1"] }, DateTimeOffset.UtcNow, default);
        await inventory.ApplyInventoryAsync(InventoryApiTests.Report(site, "host-1", DateTimeOffset.UtcNow, [0, 1]), default);

        var after = await reader.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{site}", UriKind.Relative));
        Assert.Equal("online", after.GetProperty("status").GetString());
        Assert.Equal("1.2.3", after.GetProperty("relay").GetProperty("version").GetString());
        var all = await ListAllAsync(reader, "/api/sites?pageSize=2");
        Assert.Contains(all, s => s.GetProperty("id").GetString() == site);

        using var deleted = await admin.DeleteAsync(new Uri($"/api/sites/{site}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await inventory.ListEmulatorsAsync(site, null, default));
        Assert.Null(await inventory.GetRelayAsync(site, default));
        using var gone = await reader.GetAsync(new Uri($"/api/sites/{site}", UriKind.Relative));
        await gone.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
        using var again = await admin.DeleteAsync(new Uri($"/api/sites/{site}", UriKind.Relative));
        await again.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Hosts_RegisteredAndReported_WithStatus()
    {
        using var admin = _fixture.SelfHosted.Client(FleetRoles.Admin);
        var site = ApiFixture.NewSiteId("h");
        (await admin.PostAsJsonAsync("/api/sites", new { id = site })).Dispose();

        using var created = await admin.PutAsJsonAsync($"/api/sites/{site}/hosts/pc-7", new { address = "10.1.2.7:22", kind = "ssh", capacity = 8 });
        using var updated = await admin.PutAsJsonAsync($"/api/sites/{site}/hosts/pc-7", new { address = "10.1.2.7:2222", kind = "Ssh", capacity = 6 });
        using var noAddress = await admin.PutAsJsonAsync($"/api/sites/{site}/hosts/pc-8", new { kind = "ssh", capacity = 2 });
        using var noSite = await admin.PutAsJsonAsync($"/api/sites/{ApiFixture.NewSiteId()}/hosts/pc-9", new { kind = "local", capacity = 2 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.True((await noAddress.AssertProblemAsync(HttpStatusCode.BadRequest, "validation")).GetProperty("errors").TryGetProperty("address", out _));
        await noSite.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");

        var inventory = _fixture.SelfHosted.Get<InventoryStore>();
        await inventory.RecordHeartbeatAsync(new RelayHeartbeat { SiteId = site, InstanceId = "i", Version = "1", StartedAt = DateTimeOffset.UtcNow, SentAt = DateTimeOffset.UtcNow, HostIds = ["pc-7", "local"] }, DateTimeOffset.UtcNow, default);
        await inventory.ApplyInventoryAsync(InventoryApiTests.Report(site, "pc-7", DateTimeOffset.UtcNow, [0]), default);
        await inventory.ApplyInventoryAsync(InventoryApiTests.Report(site, "local", DateTimeOffset.UtcNow, []) with { Error = "ldconsole not found" }, default);

        var hosts = await admin.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{site}/hosts", UriKind.Relative));
        var byId = hosts.EnumerateArray().ToDictionary(h => h.GetProperty("id").GetString()!);
        Assert.Equal("ok", byId["pc-7"].GetProperty("status").GetString());
        Assert.Equal(6, byId["pc-7"].GetProperty("capacity").GetInt32());
        Assert.Equal("10.1.2.7:2222", byId["pc-7"].GetProperty("address").GetString());
        Assert.Equal("unreachable", byId["local"].GetProperty("status").GetString());
        Assert.False(byId["local"].GetProperty("registered").GetBoolean());

        using var deleted = await admin.DeleteAsync(new Uri($"/api/sites/{site}/hosts/pc-7", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await inventory.ListEmulatorsAsync(site, "pc-7", default));
        using var again = await admin.DeleteAsync(new Uri($"/api/sites/{site}/hosts/pc-7", UriKind.Relative));
        await again.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    private static async Task<List<JsonElement>> ListAllAsync(HttpClient client, string first)
    {
        var all = new List<JsonElement>();
        string? next = first;
        while (next is not null)
        {
            using var response = await client.GetAsync(new Uri(next, UriKind.RelativeOrAbsolute));
            all.AddRange((await response.ReadAsync()).EnumerateArray());
            next = response.Headers.TryGetValues("Link", out var links) ? links.Single().Split('>')[0].TrimStart('<') : null;
        }

        return all;
    }
}
