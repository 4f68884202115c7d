using System.Globalization;
using System.Net.Http.Json;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

public sealed class TwoInstanceFleetFixture : FleetFixture;

/// <summary>
/// Two cloud app instances on the same storage and queues: both take results, both sweep, requests go to
/// either. Every operation must end as it would with one instance, each side effect executed once.
/// </summary>
public sealed class TwoInstanceTests : IClassFixture<TwoInstanceFleetFixture>
{
    private readonly TwoInstanceFleetFixture _fleet;

    public TwoInstanceTests(TwoInstanceFleetFixture fleet) => _fleet = fleet;

    [Fact]
    public async Task TwoInstances_ProvisionsAndBatch_SameResultAsOne()
    {
        var (second, secondApi) = await _fleet.StartExtraCloudAsync();
        await using var _ = second;
        using var __ = secondApi;
        var host = _fleet.Hosts[1];
        var apis = new[] { _fleet.Api, secondApi };

        // Six provisions, alternating instances, all at once.
        var titles = Enumerable.Range(0, 6).Select(i => string.Create(CultureInfo.InvariantCulture, $"twin-{i}")).ToList();
        var locations = await Task.WhenAll(titles.Select((t, i) => WorkflowTests.StartAsync(apis[i % 2], WorkflowTests.Provision(host.Id, t))));

        // A batch started on the second instance over the first host's emulators.
        using var batchResponse = await secondApi.PostAsJsonAsync(new Uri("/api/batches", UriKind.Relative), new
        {
            workflow = "setprop",
            parameters = new Dictionary<string, string> { ["key"] = "persist.twin", ["value"] = "1" },
            selector = new { targets = Enumerable.Range(0, 4).Select(i => new { siteId = FleetFixture.SiteId, hostId = _fleet.Hosts[0].Id, index = i }) },
            maxConcurrency = 2,
        });
        batchResponse.EnsureSuccessStatusCode();

        var done = await Task.WhenAll(locations.Select(l => _fleet.WaitForTerminalAsync(l, TimeSpan.FromSeconds(120))));
        var batch = await Poll.UntilAsync(
            async () => (await _fleet.Api.GetFromJsonAsync<BatchDto>(batchResponse.Headers.Location!))!,
            b => b.Status is "Succeeded" or "Failed" or "Cancelled",
            TimeSpan.FromSeconds(60),
            "the batch to finish");

        Assert.All(done, d => Assert.True(d.Status == "Succeeded", $"{d.Status} {d.ErrorCode} {d.Error}"));
        Assert.All(done, d => Assert.Equal(["add", "modify", "launch", "waitbooted", "installapp"], d.Steps.Select(s => s.Action)));
        Assert.Equal(6, done.Select(d => d.Result["index"]).Distinct().Count());
        foreach (var (d, title) in done.Zip(titles))
        {
            Assert.Equal(1, host.JournalCount("add", "--name", title));
            foreach (var command in new[] { "modify", "launch", "installapp" })
            {
                Assert.Equal(1, host.JournalCount(command, "--index", d.Result["index"]));
            }
        }

        Assert.Equal(("Succeeded", 4), (batch.Status, batch.Counts.Succeeded));
        var children = await _fleet.Api.GetStringAsync(new Uri($"/api/operations?batchId={batch.Id}", UriKind.Relative));
        Assert.True(_fleet.Hosts[0].JournalCount("setprop") == 4, children);
    }
}
