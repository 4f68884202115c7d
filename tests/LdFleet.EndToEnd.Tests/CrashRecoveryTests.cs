using System.Globalization;
using System.Net.Http.Json;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>A fleet of its own: these tests crash and restart the cloud app many times.</summary>
public sealed class CrashFleetFixture : FleetFixture;

/// <summary>
/// Crash the cloud app at every engine boundary of a 5-step provision (add, modify, launch, wait-booted,
/// install), restart it, and check that the operation reaches the same end as a fault-free run with every
/// side-effecting ldconsole command executed exactly once.
/// </summary>
public sealed class CrashRecoveryTests : IClassFixture<CrashFleetFixture>
{
    private static readonly string[] Expected = ["add", "modify", "launch", "waitbooted", "installapp"];
    private readonly CrashFleetFixture _fleet;

    public CrashRecoveryTests(CrashFleetFixture fleet) => _fleet = fleet;

    public static TheoryData<string, int> Boundaries()
    {
        var data = new TheoryData<string, int>();
        foreach (var boundary in new[] { "before-send", "after-send", "before-mark-done" })
        {
            for (var hit = 1; hit <= 5; hit++)
            {
                data.Add(boundary, hit);
            }
        }

        // Row writes: the insert, then each step's send and result records (11 in every run; start reports
        // add up to 3 more, depending on whether they beat their results).
        for (var hit = 1; hit <= 11; hit++)
        {
            data.Add("after-state-write", hit);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Boundaries))]
    public async Task CrashAtBoundary_RestartFinishesSameAsFaultFree_EachCommandOnce(string boundary, int hit)
    {
        var host = _fleet.Hosts[0];
        var title = string.Create(CultureInfo.InvariantCulture, $"crash-{boundary}-{hit}");
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        await _fleet.KillCloudAsync();
        // Send records at once, so every step passes every boundary.
        await _fleet.StartCloudAsync(new Dictionary<string, string?> { ["Operations__CrashAt"] = $"{boundary}:{hit}", ["Operations__SendRecordDelay"] = "00:00:00" });

        try
        {
            await WorkflowTests.StartAsync(_fleet.Api, WorkflowTests.Provision(host.Id, title));
        }
        catch (HttpRequestException)
        {
            // The crash can come inside the request itself; the row is written first, so nothing is lost.
        }

        await Poll.UntilAsync(() => Task.FromResult(_fleet.Cloud.HasExited), exited => exited, TimeSpan.FromSeconds(60), $"the cloud app to crash at {boundary}:{hit}\n{_fleet.Diagnostics}");
        await _fleet.KillCloudAsync();
        await _fleet.StartCloudAsync();

        var operation = await Poll.UntilAsync(
            async () => (await _fleet.Api.GetFromJsonAsync<List<OperationListItemDto>>(new Uri($"/api/operations?workflow=provision&pageSize=1000&createdAfter={Uri.EscapeDataString(since.ToString("O"))}", UriKind.Relative)))!
                .SingleOrDefault(o => o.Parameters.GetValueOrDefault("title") == title),
            o => o is not null,
            TimeSpan.FromSeconds(30),
            "the provision to be listed");
        var done = await _fleet.WaitForTerminalAsync(new Uri($"/api/operations/{operation!.Id}", UriKind.Relative), TimeSpan.FromSeconds(90));

        Assert.True(done.Status == "Succeeded", $"{done.Status} {done.ErrorCode} {done.Error}\n{_fleet.Diagnostics}");
        Assert.Equal(Expected, done.Steps.Select(s => s.Action));
        Assert.All(done.Steps, s => Assert.Equal(1, s.Attempt));
        var index = done.Result["index"];
        Assert.Equal(1, host.JournalCount("add", "--name", title));
        foreach (var command in new[] { "modify", "launch", "installapp" })
        {
            Assert.Equal(1, host.JournalCount(command, "--index", index));
        }
    }
}

public sealed record OperationListItemDto(string Id, string Status, Dictionary<string, string> Parameters);
