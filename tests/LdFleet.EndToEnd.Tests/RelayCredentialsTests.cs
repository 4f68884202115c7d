using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>
/// A relay configured with nothing but what registering its site through the API returned (Storage Queues: one SAS URL
/// per queue) runs commands end to end; rotating the credentials cuts the old relay off at once and the new ones work.
/// </summary>
public sealed class RelayCredentialsTests : IClassFixture<FleetFixture>, IAsyncLifetime
{
    private readonly FleetFixture _fleet;
    private readonly string _site = "creds-" + Guid.NewGuid().ToString("N")[..6];
    private SimulatedHost? _host;
    private ChildProcess? _relay;

    public RelayCredentialsTests(FleetFixture fleet) => _fleet = fleet;

    public async Task InitializeAsync() => _host = await SimulatedHost.CreateAsync("pc-1", 2);

    public async Task DisposeAsync()
    {
        if (_relay is not null)
        {
            await _relay.DisposeAsync();
        }

        _host?.Dispose();
    }

    [Fact]
    public async Task RelayOnIssuedCredentialsOnly_RunsCommands_AndRotationCutsTheOldOneOff()
    {
        using var registered = await _fleet.Api.PostAsJsonAsync(new Uri("/api/sites", UriKind.Relative), new { id = _site });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var issued = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("relayCredentials");
        _relay = await StartRelayAsync(issued);

        var launched = await RunAsync("launch", 0);
        Assert.True(launched.Status == "Succeeded", $"{launched.Status} {launched.ErrorCode} {launched.Error}\n{_relay.Tail()}");

        // Rotation: the running relay's command-queue SAS stops working at once; it logs and keeps trying.
        using var rotated = await _fleet.Api.PostAsync(new Uri($"/api/sites/{_site}/relay-credentials", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        using var pending = await PostAsync("quit", 0);
        await _relay.WaitForLineAsync(l => l.Contains("Receiving from ldfleet-site-" + _site + " failed", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.Equal(0, _host!.JournalCount("quit"));

        // The relay restarted with the new credentials picks the command up.
        await _relay.DisposeAsync();
        _relay = await StartRelayAsync(await rotated.Content.ReadFromJsonAsync<JsonElement>());
        var quit = await _fleet.WaitForTerminalAsync(pending.Headers.Location!);
        Assert.True(quit.Status == "Succeeded", $"{quit.Status} {quit.ErrorCode} {quit.Error}\n{_relay.Tail()}");
        Assert.Equal(1, _host.JournalCount("quit"));
    }

    private async Task<OperationDto> RunAsync(string action, int index)
    {
        using var response = await PostAsync(action, index);
        return await _fleet.WaitForTerminalAsync(response.Headers.Location!);
    }

    private async Task<HttpResponseMessage> PostAsync(string action, int index)
    {
        var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{_site}/hosts/{_host!.Id}/emulators/{index}/{action}", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return response;
    }

    /// <summary>The relay with the issued queue URLs as its only transport settings (no connection string at all).</summary>
    private async Task<ChildProcess> StartRelayAsync(JsonElement credentials)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Relay__SiteId"] = _site,
            ["Relay__JournalPath"] = Path.Combine(_host!.Home, "..", $"journal-{_site}.db"),
            ["Relay__Hosts__0__Id"] = _host.Id,
            ["Relay__Hosts__0__LdConsolePath"] = RepoPaths.Simulator,
            ["Relay__Hosts__0__LaunchStagger"] = "00:00:00",
            ["Relay__Hosts__0__Environment__LDSIM_HOME"] = _host.Home,
            ["Polling__LockDuration"] = "00:00:05",
            ["Polling__MaxPollInterval"] = "00:00:00.250",
            ["Reporting__HeartbeatInterval"] = "00:00:01",
        };
        foreach (var queue in credentials.GetProperty("queues").EnumerateObject())
        {
            environment[$"Relay__Credentials__Queues__{queue.Name}__Queue"] = queue.Value.GetProperty("queue").GetString();
            environment[$"Relay__Credentials__Queues__{queue.Name}__Url"] = queue.Value.GetProperty("url").GetString();
        }

        var relay = ChildProcess.Start("relay " + _site, "dotnet", ["exec", RepoPaths.RelayDll], environment);
        await relay.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        return relay;
    }
}
