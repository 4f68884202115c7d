using System.Net;
using LdFleet.Cli.Api;
using LdFleet.Cli.Commands;
using LdFleet.Cli.Watch;

namespace LdFleet.Cli.Tests;

/// <summary>The CLI's pure parts, in-process: ETA, problem rendering, argument parsing.</summary>
public sealed class CliUnitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Eta_FirstObservation_IsUnknown()
    {
        Assert.Null(new EtaEstimator().Estimate(T0, 10, 100));
        Assert.Equal("--:--:--", EtaEstimator.Format(null));
    }

    [Fact]
    public void Eta_FollowsTheCompletionRateSinceTheWatchBegan()
    {
        var eta = new EtaEstimator();
        eta.Estimate(T0, 100, 1000);

        // 20 finished in 10 s: 2/s, 880 left -> 440 s.
        var estimate = eta.Estimate(T0.AddSeconds(10), 120, 1000);

        Assert.Equal(TimeSpan.FromSeconds(440), estimate);
        Assert.Equal("00:07:20", EtaEstimator.Format(estimate));
    }

    [Fact]
    public void WatchLine_OfAnOperationWaitingForItsEmulator_SaysWhoIsAhead()
    {
        using var waiting = System.Text.Json.JsonDocument.Parse("""{"id":"b","workflow":"rename","status":"Pending","waitingFor":"a","steps":[{"name":"status","status":"Pending","attempt":1}]}""");
        using var running = System.Text.Json.JsonDocument.Parse("""{"id":"b","workflow":"rename","status":"Running","waitingFor":null,"steps":[]}""");

        Assert.Equal("operation b rename Pending: step status Pending, waiting for operation a on this emulator", Watcher.Describe(waiting.RootElement));
        Assert.Equal("operation b rename Running", Watcher.Describe(running.RootElement));
    }

    [Fact]
    public void Eta_NoProgressYet_IsUnknown()
    {
        var eta = new EtaEstimator();
        eta.Estimate(T0, 5, 10);

        Assert.Null(eta.Estimate(T0.AddSeconds(30), 5, 10));
    }

    [Fact]
    public void BatchLine_NamesEveryCountThatMatters()
    {
        var snapshot = new BatchSnapshot("b1", "Running", 1000, Pending: 837, Running: 40, Succeeded: 120, Failed: 2, TimedOut: 1, Cancelled: 0, Skipped: 0);

        Assert.Equal("Running: 120/1000 succeeded, 3 failed, 40 running, 837 pending", snapshot.Counts());
        Assert.Equal(123, snapshot.Done);
    }

    [Fact]
    public void Problem_ValidationErrors_ListEachField()
    {
        const string body = """{"type":"https://ldfleet.dev/problems/validation","title":"One or more validation errors occurred.","status":400,"errors":{"selector.siteIds":["Name at least one site."],"maxErrors":["A whole number."]},"traceId":"00-abc"}""";

        var error = Problem.ToException(HttpStatusCode.BadRequest, "application/problem+json", body, "POST /api/batches");

        Assert.Equal(4, error.ExitCode);
        Assert.Equal("One or more validation errors occurred.", error.Message);
        Assert.Contains("  selector.siteIds: Name at least one site.", error.Details);
        Assert.Contains("  maxErrors: A whole number.", error.Details);
        Assert.Contains(error.Details, d => d.Contains("HTTP 400", StringComparison.Ordinal) && d.Contains("trace 00-abc", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, 3)]
    [InlineData(HttpStatusCode.Forbidden, 3)]
    [InlineData(HttpStatusCode.NotFound, 4)]
    [InlineData(HttpStatusCode.Conflict, 4)]
    [InlineData(HttpStatusCode.InternalServerError, 5)]
    public void Problem_StatusMapsToExitCode(HttpStatusCode status, int exitCode) =>
        Assert.Equal(exitCode, Problem.ToException(status, "text/plain", "oops", "GET /x").ExitCode);

    [Fact]
    public void EmulatorId_ParsesSiteHostIndex()
    {
        Assert.Equal(("lab", "host-1", 3), CommandKit.Emulator("lab/host-1/3"));
        Assert.Equal(2, Assert.Throws<CliException>(() => CommandKit.Emulator("lab/host-1")).ExitCode);
    }

    [Theory]
    [InlineData("90", 90)]
    [InlineData("1.5s", 1.5)]
    [InlineData("5m", 300)]
    [InlineData("00:02:00", 120)]
    public void Duration_AcceptsSecondsUnitsAndTimeSpans(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), CommandKit.Duration(text, "--timeout"));

    [Fact]
    public void Steps_ParseActionsWithParameters()
    {
        var steps = OperationsCommands.Steps(["launch", "runapp:packageName=com.example,x=1"])!;

        Assert.Equal(2, steps.Count);
        Assert.Equal("""{"action":"runapp","parameters":{"packageName":"com.example","x":"1"}}""", System.Text.Json.JsonSerializer.Serialize(steps[1], Json.Options));
    }
}
