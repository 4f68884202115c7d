using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>Composite workflows and batches through the real stack: API, Tables, queue, relay, simulator.</summary>
public sealed class WorkflowTests : IClassFixture<FleetFixture>
{
    private readonly FleetFixture _fleet;

    public WorkflowTests(FleetFixture fleet) => _fleet = fleet;

    internal static async Task<Uri> StartAsync(HttpClient api, object request)
    {
        using var response = await api.PostAsJsonAsync(new Uri("/api/operations", UriKind.Relative), request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!;
    }

    internal static object Provision(string hostId, string title) => new
    {
        workflow = "provision",
        siteId = FleetFixture.SiteId,
        hostId,
        parameters = new Dictionary<string, string> { ["title"] = title, ["resolution"] = "1280,720,240", ["apps"] = "com.example.app" },
    };

    [Fact]
    public async Task Provision_CreatesConfiguresBootsAndInstalls_ThenDeleteRemovesIt()
    {
        var host = _fleet.Hosts[1];
        var done = await _fleet.WaitForTerminalAsync(await StartAsync(_fleet.Api, Provision(host.Id, "provisioned-1")), TimeSpan.FromSeconds(90));

        Assert.True(done.Status == "Succeeded", $"{done.Status} {done.ErrorCode} {done.Error}\n{_fleet.Diagnostics}");
        Assert.Equal(["add", "modify", "launch", "waitbooted", "installapp"], done.Steps.Select(s => s.Action));
        var index = int.Parse(done.Result["index"], CultureInfo.InvariantCulture);
        Assert.Contains((await host.List2Async()), line => line.Contains("provisioned-1", StringComparison.Ordinal) && line.StartsWith($"{index},", StringComparison.Ordinal));
        Assert.Equal(1, host.JournalCount("installapp", "--index", index.ToString(CultureInfo.InvariantCulture)));

        var deleted = await _fleet.WaitForTerminalAsync(await StartAsync(_fleet.Api, new { workflow = "delete", siteId = FleetFixture.SiteId, hostId = host.Id, index }));

        Assert.True(deleted.Status == "Succeeded", $"{deleted.Status} {deleted.ErrorCode} {deleted.Error}");
        Assert.Equal(["status", "quit", "waitstopped", "remove"], deleted.Steps.Select(s => s.Action));
        Assert.DoesNotContain((await host.List2Async()), line => line.StartsWith($"{index},", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConcurrentRenamesAndALaunchOfOneEmulator_AllHappen_OneAtATime_LastArrivalWins()
    {
        // The hostile run of issue 19: three renames of one emulator at once ran together and two ended NoEffect.
        var host = _fleet.Hosts[1];
        const int index = 1;
        var renamesBefore = host.JournalCount("rename", "--index", "1");
        string[] titles = ["one-at-a-time-a", "one-at-a-time-b", "one-at-a-time-c"];
        var launch = StartAsync(_fleet.Api, new { workflow = "launch", siteId = FleetFixture.SiteId, hostId = host.Id, index });
        var renames = titles.Select(title => StartAsync(_fleet.Api, new
        {
            workflow = "rename", siteId = FleetFixture.SiteId, hostId = host.Id, index, parameters = new Dictionary<string, string> { ["title"] = title },
        })).ToArray();

        var renameLocations = await Task.WhenAll(renames);
        var ended = await Task.WhenAll(renameLocations.Prepend(await launch).Select(l => _fleet.WaitForTerminalAsync(l, TimeSpan.FromSeconds(120))));

        Assert.All(ended, o => Assert.True(o.Status == "Succeeded", $"{o.Workflow} {o.Status} {o.ErrorCode} {o.Error}\n{_fleet.Diagnostics}"));
        Assert.Equal(renamesBefore + 3, host.JournalCount("rename", "--index", "1"));

        // Operation ids sort by arrival: the rename that arrived last ran last, and its title stays.
        var renameIds = ended.Skip(1).Select(o => o.Id).ToArray();
        var lastTitle = titles[Array.IndexOf(renameIds, renameIds.Max(StringComparer.Ordinal))];
        Assert.Contains(await host.List2Async(), line => line.StartsWith($"{index},{lastTitle},", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Batch_OverExplicitTargets_RunsEachOnce_AndReportsProgress()
    {
        var host = _fleet.Hosts[0];
        var before = host.JournalCount("reboot");
        var targets = Enumerable.Range(0, 4).Select(i => new { siteId = FleetFixture.SiteId, hostId = host.Id, index = i }).ToArray();

        using var response = await _fleet.Api.PostAsJsonAsync(new Uri("/api/batches", UriKind.Relative), new
        {
            workflow = "setprop",
            parameters = new Dictionary<string, string> { ["key"] = "persist.ldfleet.batch", ["value"] = "1" },
            selector = new { targets },
            maxConcurrency = 2,
            maxErrors = "0",
        });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());

        var batch = await Poll.UntilAsync(
            async () => (await _fleet.Api.GetFromJsonAsync<BatchDto>(response.Headers.Location!))!,
            b => b.Status is "Succeeded" or "Failed" or "Cancelled",
            TimeSpan.FromSeconds(60),
            "the batch to finish\n" + _fleet.Diagnostics);

        Assert.Equal("Succeeded", batch.Status);
        Assert.Equal(4, batch.Counts.Succeeded);
        Assert.Equal(4, host.JournalCount("setprop"));
        Assert.Equal(before, host.JournalCount("reboot"));
    }

    [Fact]
    public async Task Validation_NamesTheField()
    {
        using var response = await _fleet.Api.PostAsJsonAsync(new Uri("/api/operations", UriKind.Relative), new { workflow = "rename", siteId = FleetFixture.SiteId, hostId = "host-1", index = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("parameters.title", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

public sealed record BatchDto(string Id, string Status, int Total, BatchCountsDto Counts, string? StopReason);

public sealed record BatchCountsDto(int Pending, int Running, int Succeeded, int Failed, int TimedOut, int Cancelled, int Skipped);
