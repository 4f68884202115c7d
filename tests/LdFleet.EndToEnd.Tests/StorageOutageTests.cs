using System.Net;
using System.Net.Http.Json;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>A fleet whose Azurite keeps its data on disk, so it can go down and come back.</summary>
public sealed class PersistentFleetFixture : FleetFixture
{
    protected override bool PersistentStorage => true;
}

/// <summary>Storage outages lose nothing: every accepted operation completes once storage is back.</summary>
public sealed class StorageOutageTests : IClassFixture<PersistentFleetFixture>
{
    private const int Operations = 200;
    private readonly PersistentFleetFixture _fleet;

    public StorageOutageTests(PersistentFleetFixture fleet) => _fleet = fleet;

    [Fact]
    public async Task AzuriteRestartDuring200Operations_AllComplete()
    {
        var locations = new System.Collections.Concurrent.ConcurrentBag<Uri>();
        using var throttle = new SemaphoreSlim(8);
        var outageStarted = new TaskCompletionSource();

        var clients = Enumerable.Range(0, Operations).Select(async i =>
        {
            await throttle.WaitAsync();
            try
            {
                var host = _fleet.Hosts[i % 2];
                var action = i % 4 < 2 ? "launch" : "quit";
                locations.Add(await PostUntilAcceptedAsync($"/api/sites/{FleetFixture.SiteId}/hosts/{host.Id}/emulators/{i % 4}/{action}"));
                if (locations.Count == Operations / 4)
                {
                    outageStarted.TrySetResult();
                }
            }
            finally
            {
                throttle.Release();
            }
        }).ToList();

        await outageStarted.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await _fleet.Storage.StopAsync();
        // The outage's length is the fault being injected, not a wait for something to happen.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await _fleet.Storage.StartAgainAsync();
        await Task.WhenAll(clients);

        Assert.Equal(Operations, locations.Count);
        var finals = await Task.WhenAll(locations.Select(l => _fleet.WaitForTerminalAsync(l, TimeSpan.FromMinutes(3))));
        var failed = finals.Where(o => o.Status != "Succeeded").ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {Operations} did not succeed, e.g. {failed.FirstOrDefault()}\n{_fleet.Diagnostics}");
    }

    /// <summary>A client that retries a POST until the API accepts it, as a CLI or script would during an outage.</summary>
    private async Task<Uri> PostUntilAcceptedAsync(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                using var response = await _fleet.Api.PostAsync(new Uri(path, UriKind.Relative), null);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    return response.Headers.Location!;
                }

                Assert.True((int)response.StatusCode >= 500, $"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            catch (HttpRequestException)
            {
                // The API process is up, so this is transient; retry.
            }

            Assert.True(DateTime.UtcNow < deadline, $"{path} was never accepted");
            await Task.Delay(200);
        }
    }
}
