using System.Globalization;
using System.Net.Http.Json;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>A fleet of its own: these tests kill and restart the cloud app many times.</summary>
public sealed class CrashFleetFixture : FleetFixture;

/// <summary>
/// Kill -9 the cloud app during a 5-step provision (add, modify, launch, wait-booted, install) — after each step's
/// command went to the relay and before its answer was applied, and right after each answer was applied while the next
/// activity runs — restart it, and check that the operation ends as a fault-free run does, with every side-effecting
/// ldconsole command executed exactly once. Durable Task replays the orchestration from its history; activities and
/// events may come twice, and the relay's journal answers a repeated command without running it again.
/// </summary>
public sealed class CrashRecoveryTests : IClassFixture<CrashFleetFixture>
{
    private static readonly string[] Expected = ["add", "modify", "launch", "waitbooted", "installapp"];
    private readonly CrashFleetFixture _fleet;

    public CrashRecoveryTests(CrashFleetFixture fleet) => _fleet = fleet;

    public static TheoryData<int, string> Moments()
    {
        var data = new TheoryData<int, string>();
        for (var step = 1; step <= Expected.Length; step++)
        {
            data.Add(step, "sent");
            data.Add(step, "answered");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Moments))]
    public async Task KilledDuringProvision_RestartFinishesSameAsFaultFree_EachCommandOnce(int step, string moment)
    {
        var host = _fleet.Hosts[0];
        var title = string.Create(CultureInfo.InvariantCulture, $"crash-{step}-{moment}");
        var location = await WorkflowTests.StartAsync(_fleet.Api, WorkflowTests.Provision(host.Id, title));

        // "sent": the step's command is on its way or running on the relay, its answer not yet applied.
        // "answered": the orchestration has applied the answer and moves on (the next send, or the final record).
        await Poll.UntilAsync(
            async () => (await _fleet.Api.GetFromJsonAsync<OperationDto>(location))!,
            o => o.Steps.Count >= step && (moment == "sent" ? o.Steps[step - 1].Status is "Dispatched" or "Running" or "Succeeded" : o.Steps[step - 1].Status == "Succeeded"),
            TimeSpan.FromSeconds(90),
            $"step {step} to be {moment}\n{_fleet.Diagnostics}");
        await _fleet.KillCloudAsync();
        await _fleet.StartCloudAsync();

        var done = await _fleet.WaitForTerminalAsync(location, TimeSpan.FromSeconds(120));
        Assert.True(done.Status == "Succeeded", $"{done.Status} {done.ErrorCode} {done.Error}\n{_fleet.Diagnostics}");
        Assert.Equal(Expected, done.Steps.Select(s => s.Action));
        var index = done.Result["index"];
        Assert.Equal(1, host.JournalCount("add", "--name", title));
        foreach (var command in new[] { "modify", "launch", "installapp" })
        {
            Assert.Equal(1, host.JournalCount(command, "--index", index));
        }
    }
}

public sealed record OperationListItemDto(string Id, string Status, Dictionary<string, string> Parameters);
