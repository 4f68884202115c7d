using System.Net;
using System.Net.Http.Json;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Orchestration;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Protocol.Commands;
using LdFleet.Testing;
using Microsoft.DurableTask.Client;
using static LdFleet.Functions.Tests.Operations.WorkflowTests;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>
/// How an operation's orchestration handles what relays (and callers) do: retries, deadlines, start reports, cancels,
/// late, duplicate and foreign answers, and input it cannot read. Real orchestrations on Azurite, a scripted relay.
/// </summary>
[Collection("operations")]
public sealed class OrchestrationTests
{
    private readonly OperationsFixture _fixture;

    public OrchestrationTests(OperationsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task TransientFailure_IsRetriedWithANewCommandId_AfterAJitteredDelay()
    {
        var attempts = 0;
        var (done, actions) = await _fixture.RunAsync(Request(EmulatorActions.Launch), c => Interlocked.Increment(ref attempts) == 1 ? Reply.Failed("Timeout") : ScriptedRelay.Succeed(c));

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal(["launch", "launch"], actions);
        var step = Assert.Single(done.Steps);
        Assert.Equal(2, step.Attempt);
        Assert.Equal($"{done.Id}.1.2", step.CommandId);

        // Full jitter under a ceiling of RetryBaseDelay (0.3 s) for the first retry; the timer may add its second.
        Assert.InRange(step.SendAt - done.CreatedAt, TimeSpan.Zero, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task TransientFailures_StopAfterMaxAttempts()
    {
        var (done, actions) = await _fixture.RunAsync(Request(EmulatorActions.Launch), _ => Reply.Failed("HostUnreachable"));

        Assert.Equal(OperationStatus.Failed, done.Status);
        Assert.Equal(["launch", "launch", "launch"], actions);
        Assert.Equal(3, done.Steps[0].Attempt);
        Assert.Equal("HostUnreachable", done.ErrorCode);
    }

    [Theory]
    [InlineData("Timeout", 1)]
    [InlineData("Interrupted", 2)]
    public async Task NonIdempotentAction_IsRetriedOnlyWhenTheRelayProvedNothingHappened(string firstError, int expectedAdds)
    {
        var attempts = 0;
        var (done, actions) = await _fixture.RunAsync(Request(EmulatorActions.Add, null), c => Interlocked.Increment(ref attempts) == 1 ? Reply.Failed(firstError) : ScriptedRelay.Succeed(c));

        Assert.Equal(expectedAdds, actions.Count);
        Assert.Equal(expectedAdds == 1 ? OperationStatus.Failed : OperationStatus.Succeeded, done.Status);
    }

    [Fact]
    public async Task NoAnswer_TimesOutAtAnswerBy_NeverBefore()
    {
        // Delivery 3 s + execution 1 s + grace 0: answer-by has a sub-second part, which a provider timer could miss.
        var request = Request(EmulatorActions.Launch) with { Parameters = new Dictionary<string, string> { [CommandParameters.Timeout] = "1" } };

        var (done, actions) = await _fixture.RunAsync(request, _ => null);

        Assert.Equal(["launch"], actions);
        Assert.Equal(OperationStatus.TimedOut, done.Status);
        var step = Assert.Single(done.Steps);
        Assert.Equal("NoAnswer", step.ErrorCode);
        Assert.True(step.CompletedAt >= step.AnswerBy, $"timed out at {step.CompletedAt:O}, before answer-by {step.AnswerBy:O}");
    }

    [Fact]
    public async Task ExpiredAnswer_EndsTimedOut_WithoutRetry()
    {
        var (done, actions) = await _fixture.RunAsync(Request(EmulatorActions.Launch), _ => new Reply(CommandOutcome.Expired, "Expired"));

        Assert.Equal(["launch"], actions);
        Assert.Equal(OperationStatus.TimedOut, done.Status);
        Assert.Equal("Expired", done.ErrorCode);
    }

    [Fact]
    public async Task StartReport_ShowsTheStepRunning_AndCancelStopsItOnTheRelay()
    {
        var request = Request(EmulatorActions.WaitBooted);
        await using var relay = _fixture.Relay(request.SiteId, c => c.Action == EmulatorActions.WaitBooted ? Reply.StartOnly : null);
        var started = await _fixture.StartAsync(request);

        var running = await _fixture.WaitAsync(started.Id, o => o.Steps is [{ Status: OperationStatus.Running }], "the step to show Running");
        Assert.Equal(OperationStatus.Running, running.Status);
        Assert.NotNull(running.Steps[0].StartedAt);

        using var cancel = await _fixture.Api.PostAsync(new Uri($"/api/operations/{started.Id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await _fixture.EndAsync(started.Id);
        Assert.Equal(OperationStatus.Cancelled, done.Status);
        Assert.Equal("Cancelled", done.Steps[0].ErrorCode);

        var stop = await Poll.UntilAsync(() => Task.FromResult(relay.Received.FirstOrDefault(c => c.Action == EmulatorActions.Cancel)), c => c is not null, TimeSpan.FromSeconds(30), "the relay to be told to cancel");
        Assert.Equal(running.Steps[0].CommandId, stop!.Parameters[CommandParameters.CommandId]);

        using var again = await _fixture.Api.PostAsync(new Uri($"/api/operations/{started.Id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task RowWithoutOrchestration_ReadsPendingWithinTheStartGrace_ThenFailedNotStarted()
    {
        // What a request leaves behind when it wrote the row and then failed to schedule (storage went down between).
        var store = _fixture.App.Get<OperationStore>();
        var request = Request(EmulatorActions.Launch);
        var now = DateTimeOffset.UtcNow;
        async Task<string> RecordAsync(DateTimeOffset createdAt)
        {
            var id = OperationIds.New(createdAt);
            await store.AddStartedAsync(OperationViews.Pending(id, OperationInput.From(request, createdAt, new OperationsOptions())), CancellationToken.None);
            return id;
        }

        var fresh = await RecordAsync(now);
        var old = await RecordAsync(now - OperationViews.StartGrace - TimeSpan.FromMinutes(1));

        Assert.Equal(OperationStatus.Pending, (await _fixture.GetAsync(fresh)).Status);
        var unstarted = await _fixture.GetAsync(old);
        Assert.Equal(OperationStatus.Failed, unstarted.Status);
        Assert.Equal(OperationViews.NotStarted, unstarted.ErrorCode);
        Assert.NotNull(unstarted.CompletedAt);

        var listed = await _fixture.Api.GetFromJsonAsync<List<OperationView>>(new Uri($"/api/operations?siteId={request.SiteId}", UriKind.Relative), OperationStore.Json);
        Assert.Equal(OperationStatus.Pending, listed!.Single(o => o.Id == fresh).Status);
        Assert.Equal(OperationViews.NotStarted, listed!.Single(o => o.Id == old).ErrorCode);
    }

    [Fact]
    public async Task Answers_KeepNonAsciiText_AsIs()
    {
        var request = Request(EmulatorActions.Add, index: null, parameters: new Dictionary<string, string> { ["title"] = "测试机-1+2" });
        using var response = await _fixture.Api.PostAsJsonAsync(new Uri("/api/operations", UriKind.Relative), request, OperationStore.Json);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("\"title\":\"测试机-1+2\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_UnknownOperation_IsNotFound()
    {
        using var response = await _fixture.Api.PostAsync(new Uri($"/api/operations/{OperationIds.New(DateTimeOffset.UtcNow)}/cancel", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task LateAnswerToAnEarlierAttempt_IsDropped()
    {
        var request = Request(EmulatorActions.Launch);
        var commands = new List<EmulatorCommand>();
        await using var relay = _fixture.Relay(request.SiteId, c =>
        {
            lock (commands)
            {
                commands.Add(c);
                return commands.Count == 1 ? Reply.Failed("Timeout") : null;
            }
        });
        var started = await _fixture.StartAsync(request);
        await Poll.UntilAsync(() => Task.FromResult(relay.Received.Count), n => n >= 2, TimeSpan.FromSeconds(60), "the second attempt");

        // The first attempt "succeeds" late: it must not settle the step that now waits for the second.
        await relay.AnswerAsync(commands[0], Reply.Succeeded());
        await relay.AnswerAsync(commands[1], Reply.Failed("NoEffect"));
        var done = await _fixture.EndAsync(started.Id);

        Assert.Equal(OperationStatus.Failed, done.Status);
        Assert.Equal("NoEffect", done.ErrorCode);
        Assert.Equal(commands[1].CommandId, done.Steps[0].CommandId);
    }

    [Fact]
    public async Task AnswersFromAnotherSite_AndDuplicates_ChangeNothing()
    {
        var request = Request(EmulatorActions.Quit);
        await using var relay = _fixture.Relay(request.SiteId, _ => null);
        var started = await _fixture.StartAsync(request);
        var command = await Poll.UntilAsync(() => Task.FromResult(relay.Received.FirstOrDefault()), c => c is not null, TimeSpan.FromSeconds(60), "the command");

        await relay.AnswerAsync(command!, Reply.Succeeded() with { SiteId = "intruder" });
        await relay.AnswerAsync(command!, Reply.Failed("NoEffect"));
        var done = await _fixture.EndAsync(started.Id);
        await relay.AnswerAsync(command!, Reply.Succeeded());

        Assert.Equal(OperationStatus.Failed, done.Status);
        Assert.Equal("NoEffect", done.ErrorCode);
        Assert.Equal(1, done.Steps[0].Attempt);
        await Poll.UntilAsync(() => _fixture.App.Get<LdFleet.Functions.Operations.OperationStore>().ReadAsync(started.Id, default), r => r?.Status == OperationStatus.Failed, TimeSpan.FromSeconds(30), "the row to record the end");
        Assert.Equal(OperationStatus.Failed, (await _fixture.GetAsync(started.Id)).Status);
    }

    [Fact]
    public async Task UnreadableInput_FailsTheOperation_WithTheReason_AndDoesNotRetryIt()
    {
        var client = _fixture.App.Get<DurableTaskClient>();
        var id = OperationIds.New(DateTimeOffset.UtcNow);

        await client.ScheduleNewOrchestrationInstanceAsync(TaskNames.Operation, "not an operation", new Microsoft.DurableTask.StartOrchestrationOptions(id));
        var instance = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, instance.RuntimeStatus);

        // The provider keeps the structured failure only in the history; the client reads it from there.
        Assert.NotNull(instance.FailureDetails);
        var view = await _fixture.GetAsync(id);
        Assert.Equal(OperationStatus.Failed, view.Status);
        Assert.Equal("EngineFailure", view.ErrorCode);
        Assert.Contains(instance.FailureDetails!.ErrorMessage, view.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_ShowsRunningOperationsLive_AndFiltersOnTheLiveStatus()
    {
        var request = Request(EmulatorActions.WaitBooted);
        await using var relay = _fixture.Relay(request.SiteId, _ => Reply.StartOnly);
        var started = await _fixture.StartAsync(request);
        await _fixture.WaitAsync(started.Id, o => o.Status == OperationStatus.Running, "the operation to run");

        var running = await ListAsync($"siteId={request.SiteId}&status=Running");
        var pending = await ListAsync($"siteId={request.SiteId}&status=Pending");

        Assert.Equal(started.Id, Assert.Single(running).Id);
        Assert.Equal(OperationStatus.Running, running[0].Steps[0].Status);
        Assert.Empty(pending);
        using var cancel = await _fixture.Api.PostAsync(new Uri($"/api/operations/{started.Id}/cancel", UriKind.Relative), null);
        await _fixture.EndAsync(started.Id);
        Assert.Equal(OperationStatus.Cancelled, Assert.Single(await ListAsync($"siteId={request.SiteId}&status=Cancelled")).Status);
    }

    private async Task<List<OperationView>> ListAsync(string query) =>
        (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<List<OperationView>>(_fixture.Api, new Uri("/api/operations?" + query, UriKind.Relative), OperationStore.Json))!;
}

/// <summary>What the self-hosted Durable Task backend must get right that the provider leaves to its host.</summary>
[Collection("operations")]
public sealed class SelfHostedBackendTests
{
    private readonly OperationsFixture _fixture;

    public SelfHostedBackendTests(OperationsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task SubOrchestration_KnowsItsParent()
    {
        var client = _fixture.App.Get<DurableTaskClient>();
        var id = Guid.NewGuid().ToString("N");

        await client.ScheduleNewOrchestrationInstanceAsync(DurableProbes.Parent, "go", new Microsoft.DurableTask.StartOrchestrationOptions(id));
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal($"{DurableProbes.Parent}/{id}", done.ReadOutputAs<string>());
    }

    [Fact]
    public void Timers_AreAskedForASecondLater_SoTheQueueNeverShowsThemEarly()
    {
        var due = new DateTimeOffset(2026, 12, 3, 12, 0, 0, 700, TimeSpan.Zero);

        Assert.Equal(due.UtcDateTime.AddSeconds(1), DurableTimers.FireTimeFor(due));
    }

    [Fact]
    public async Task Client_WaitsWithShortPolls_NotTheProvidersTwoSeconds()
    {
        var time = new RecordingTimeProvider();
        var client = new LdFleet.Functions.Durable.SelfHosted.StorageDurableTaskClient(
            "probe", _fixture.App.Get<DurableTask.AzureStorage.AzureStorageOrchestrationService>(), DurableServiceCollectionExtensions.Converter, time);
        var id = Guid.NewGuid().ToString("N");
        await client.ScheduleNewOrchestrationInstanceAsync(DurableProbes.Parent, "go", new Microsoft.DurableTask.StartOrchestrationOptions(id));

        await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: false, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.NotEmpty(time.Delays);
        Assert.All(time.Delays, d => Assert.True(d <= TimeSpan.FromSeconds(1), $"polled after {d}"));
    }

    private sealed class RecordingTimeProvider : TimeProvider
    {
        public System.Collections.Concurrent.ConcurrentBag<TimeSpan> Delays { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
            {
                Delays.Add(dueTime);
            }

            return System.CreateTimer(callback, state, dueTime, period);
        }
    }
}
