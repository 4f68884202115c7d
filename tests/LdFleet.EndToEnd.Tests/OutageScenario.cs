using LdFleet.Testing;
using System.Collections.Concurrent;
using System.Net;

namespace LdFleet.EndToEnd.Tests;

/// <summary>
/// 200 launch/quit operations from clients that retry like a CLI would, with an outage of one component
/// injected once a quarter of them were accepted. Every accepted operation must end Succeeded.
/// </summary>
internal static class OutageScenario
{
    public const int Operations = 200;

    public static async Task RunAsync(FleetFixture fleet, Func<Task> stop, Func<Task> start)
    {
        var locations = new ConcurrentBag<Uri>();
        using var throttle = new SemaphoreSlim(8);
        var outageStarted = new TaskCompletionSource();

        var clients = Enumerable.Range(0, Operations).Select(async i =>
        {
            await throttle.WaitAsync();
            try
            {
                var host = fleet.Hosts[i % 2];
                var action = i % 4 < 2 ? "launch" : "quit";
                locations.Add(await PostUntilAcceptedAsync(fleet, $"/api/sites/{FleetFixture.SiteId}/hosts/{host.Id}/emulators/{i % 4}/{action}"));
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
        await stop();

        // The outage's length is the fault being injected, not a wait for something to happen.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await start();
        await Task.WhenAll(clients);

        Assert.Equal(Operations, locations.Count);
        // Wait as a client would: a few requests at a time against one overall deadline. Polling all 200 at once every
        // 250 ms is ~800 requests/s, each an instance read, which saturates Azurite on two cores and slows the very
        // recovery (lease reacquisition, replays) the case measures.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        using var waiters = new SemaphoreSlim(8);
        var finals = await Task.WhenAll(locations.Select(async l =>
        {
            await waiters.WaitAsync();
            try
            {
                var left = deadline - DateTime.UtcNow;
                return (Location: l, Operation: await fleet.WaitForTerminalAsync(l, left > TimeSpan.Zero ? left : TimeSpan.Zero), Stuck: (string?)null);
            }
            catch (TimeoutException)
            {
                return (Location: l, Operation: (OperationDto?)null, Stuck: await fleet.Api.GetStringAsync(l));
            }
            finally
            {
                waiters.Release();
            }
        }));
        var failed = finals.Where(f => f.Operation?.Status != "Succeeded").ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {Operations} did not succeed, e.g. {failed.Select(f => f.Stuck ?? f.Operation?.ToString()).FirstOrDefault()}\n{fleet.Diagnostics}");
    }

    /// <summary>A client that retries a POST until the API accepts it, as a CLI or script would during an outage.</summary>
    private static async Task<Uri> PostUntilAcceptedAsync(FleetFixture fleet, string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                using var response = await fleet.Api.PostAsync(new Uri(path, UriKind.Relative), null);
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
