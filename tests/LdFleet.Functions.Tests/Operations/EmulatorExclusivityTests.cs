using Azure.Data.Tables;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Cleanup;
using LdFleet.Functions.Operations.Exclusivity;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Commands;
using LdFleet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static LdFleet.Functions.Tests.Operations.WorkflowTests;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>
/// Mutating operations on one emulator take turns, in arrival order; reads do not wait; a cancelled waiter leaves the
/// line without sending anything; an emulator held by an operation that vanished is freed by the cleanup. Real
/// orchestrations on Azurite and a scripted relay that answers only when the test says so.
/// </summary>
[Collection("operations")]
public sealed class EmulatorExclusivityTests
{
    private readonly OperationsFixture _fixture;

    public EmulatorExclusivityTests(OperationsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task MutatingOperationsOnOneEmulator_RunOneAtATime_InArrivalOrder_WhileReadsGoThrough()
    {
        var site = OperationsFixture.NewSiteId();
        var gate = new Gate();
        await using var relay = _fixture.Relay(site, gate.Script);

        // Arrival order: launch, then two renames (each a status check, then the rename), then a status read.
        var launch = await StartAsync(site, EmulatorActions.Launch);
        var first = await StartAsync(site, EmulatorActions.Rename, new() { ["title"] = "first" });
        var second = await StartAsync(site, EmulatorActions.Rename, new() { ["title"] = "second" });
        var status = await StartAsync(site, EmulatorActions.Status);

        // The renames wait behind the launch, and say so; nothing of theirs reached the relay.
        await _fixture.WaitAsync(first.Id, o => o.WaitingFor == launch.Id, "the first rename to wait for the launch");
        await _fixture.WaitAsync(second.Id, o => o.WaitingFor is not null, "the second rename to wait");
        await ReceivedAsync(relay, launch.Id);
        Assert.DoesNotContain(relay.Received, c => c.OperationId == first.Id || c.OperationId == second.Id);

        // A read does not queue: it runs while the launch holds the emulator.
        await gate.OpenAsync(relay, status.Id);
        Assert.Equal(OperationStatus.Succeeded, (await _fixture.EndAsync(status.Id)).Status);
        Assert.Equal(OperationStatus.Pending, (await _fixture.GetAsync(first.Id)).Status);

        // Each end hands the emulator to the next arrival, whose deadlines count from its turn.
        await gate.OpenAsync(relay, launch.Id);
        var launched = await _fixture.EndAsync(launch.Id);
        var firstCommand = await ReceivedAsync(relay, first.Id);
        Assert.True(firstCommand.IssuedAt >= launched.CompletedAt, $"the rename was sent at {firstCommand.IssuedAt:O}, before the launch ended at {launched.CompletedAt:O}");
        Assert.DoesNotContain(relay.Received, c => c.OperationId == second.Id);

        await gate.OpenAsync(relay, first.Id);
        var renamed = await _fixture.EndAsync(first.Id);
        Assert.Equal(OperationStatus.Succeeded, renamed.Status);
        var secondCommand = await ReceivedAsync(relay, second.Id);
        Assert.True(secondCommand.IssuedAt >= renamed.CompletedAt, $"the second rename was sent at {secondCommand.IssuedAt:O}, before the first ended at {renamed.CompletedAt:O}");
        await gate.OpenAsync(relay, second.Id);
        Assert.Equal(OperationStatus.Succeeded, (await _fixture.EndAsync(second.Id)).Status);

        Assert.Equal(["first", "second"], relay.Received.Where(c => c.Action == EmulatorActions.Rename).Select(c => c.Parameters["title"]));
    }

    [Fact]
    public async Task CancelledWhileWaiting_EndsCancelled_SendsNothing_AndTheLineMovesOn()
    {
        var site = OperationsFixture.NewSiteId();
        var gate = new Gate();
        await using var relay = _fixture.Relay(site, gate.Script);
        var holder = await StartAsync(site, EmulatorActions.Launch);
        var cancelled = await StartAsync(site, EmulatorActions.Reboot);
        var next = await StartAsync(site, EmulatorActions.Quit);
        await _fixture.WaitAsync(cancelled.Id, o => o.WaitingFor == holder.Id, "the reboot to wait");
        await _fixture.WaitAsync(next.Id, o => o.WaitingFor is not null, "the quit to wait");

        using (var cancel = await _fixture.Api.PostAsync(new Uri($"/api/operations/{cancelled.Id}/cancel", UriKind.Relative), null))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, cancel.StatusCode);
        }

        var ended = await _fixture.EndAsync(cancelled.Id);
        Assert.Equal(OperationStatus.Cancelled, ended.Status);

        await gate.OpenAsync(relay, holder.Id);
        await gate.OpenAsync(relay, next.Id);
        Assert.Equal(OperationStatus.Succeeded, (await _fixture.EndAsync(next.Id)).Status);

        // Neither the reboot nor a cancel for it ever went to the relay: it never held the emulator.
        Assert.DoesNotContain(relay.Received, c => c.OperationId == cancelled.Id);
    }

    [Fact]
    public async Task EmulatorHeldByAnOperationThatNoLongerExists_IsFreedByTheCleanup()
    {
        var site = OperationsFixture.NewSiteId();
        await using var relay = _fixture.Relay(site);

        // What an orchestration terminated by hand leaves behind: a holder row older than the start grace.
        var gone = OperationIds.New(DateTimeOffset.UtcNow.AddMinutes(-5));
        var locks = _fixture.App.Get<TableServiceClient>().GetTableClient(FleetTables.EmulatorLocks);
        var partition = $"{site}|host-1|3";
        var since = DateTimeOffset.UtcNow.AddMinutes(-5);
        await locks.AddEntityAsync(new TableEntity(partition, "holder") { ["OperationId"] = gone, ["Since"] = since });
        await locks.AddEntityAsync(new TableEntity(partition, "w-" + gone) { ["OperationId"] = gone, ["Since"] = since });

        var waiting = await StartAsync(site, EmulatorActions.Rename, new() { ["title"] = "after" });
        await _fixture.WaitAsync(waiting.Id, o => o.WaitingFor == gone, "the rename to wait for the vanished holder");

        await using (var scope = _fixture.App.Services.CreateAsyncScope())
        {
            var report = await scope.ServiceProvider.GetRequiredService<CleanupJob>().RunOnceAsync(CancellationToken.None);
            Assert.True(report.EmulatorsFreed >= 1, $"freed {report.EmulatorsFreed}");
        }

        Assert.Equal(OperationStatus.Succeeded, (await _fixture.EndAsync(waiting.Id)).Status);
        Assert.Empty(locks.Query<TableEntity>(e => e.PartitionKey == partition));
    }

    [Fact]
    public async Task APlaceTakenByAStartThatNeverHappened_LapsesAfterTheStartGrace()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var locks = new EmulatorLocks(_fixture.App.Get<TableServiceClient>(), time);
        var emulator = new EmulatorLock(OperationsFixture.NewSiteId(), "host-1", 0);
        var neverStarted = OperationIds.New(time.GetUtcNow());
        var later = OperationIds.New(time.GetUtcNow().AddMilliseconds(5));

        // The API joined the line for an operation whose orchestration never came; a later one must wait, and look again.
        await locks.JoinAsync(emulator, neverStarted, CancellationToken.None);
        Assert.Equal(LockGrant.Queued(neverStarted, recheck: true), await locks.AcquireAsync(emulator, later, CancellationToken.None));

        time.Advance(EmulatorLocks.StartGrace + TimeSpan.FromSeconds(1));
        Assert.Equal(LockGrant.Held, await locks.AcquireAsync(emulator, later, CancellationToken.None));

        // Should it show up after all, it is behind: its place lapsed.
        Assert.Equal(LockGrant.Queued(later), await locks.AcquireAsync(emulator, neverStarted, CancellationToken.None));
        Assert.Equal(neverStarted, await locks.ReleaseAsync(emulator, later, held: true, CancellationToken.None));
        Assert.Equal(LockGrant.Held, await locks.AcquireAsync(emulator, neverStarted, CancellationToken.None));

        // A release repeated by a retried activity finds its place gone and leaves the new holder alone.
        Assert.Null(await locks.ReleaseAsync(emulator, later, held: true, CancellationToken.None));
        var third = OperationIds.New(time.GetUtcNow());
        Assert.Equal(LockGrant.Queued(neverStarted), await locks.AcquireAsync(emulator, third, CancellationToken.None));
        Assert.Equal(third, await locks.ReleaseAsync(emulator, neverStarted, held: true, CancellationToken.None));
        Assert.Null(await locks.ReleaseAsync(emulator, third, held: false, CancellationToken.None));
    }

    [Theory]
    [InlineData(EmulatorActions.Status, false)]
    [InlineData(EmulatorActions.GetProp, false)]
    [InlineData(EmulatorActions.Launch, true)]
    [InlineData(WorkflowCatalog.Rename, true)]
    [InlineData(WorkflowCatalog.Provision, false)]
    [InlineData(EmulatorActions.QuitAll, false)]
    public void WhichOperationsTakeTheEmulator(string workflow, bool exclusive) =>
        Assert.Equal(exclusive, EmulatorLock.For(workflow, "lab", "host-1", 3, null) is not null);

    [Fact]
    public void ASequenceTakesTheEmulatorUnlessItOnlyReads()
    {
        Assert.Null(EmulatorLock.For(WorkflowCatalog.Sequence, "lab", "host-1", 3, [new(EmulatorActions.Status, null), new(EmulatorActions.GetProp, null)]));
        Assert.NotNull(EmulatorLock.For(WorkflowCatalog.Sequence, "lab", "host-1", 3, [new(EmulatorActions.Status, null), new(EmulatorActions.SetProp, null)]));
    }

    private Task<OperationView> StartAsync(string site, string workflow, Dictionary<string, string>? parameters = null) =>
        _fixture.StartAsync(Request(workflow, 3, parameters) with { SiteId = site });

    /// <summary>Holds every command unanswered until the test opens its operation; from then on the relay answers them.</summary>
    private sealed class Gate
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _open = new(StringComparer.Ordinal);

        public Reply? Script(EmulatorCommand command) => _open.ContainsKey(command.OperationId) ? ScriptedRelay.Succeed(command) : null;

        /// <summary>Answers the operation's command the relay holds, and lets every later one through.</summary>
        public async Task OpenAsync(ScriptedRelay relay, string operationId)
        {
            _open[operationId] = true;
            var held = await ReceivedAsync(relay, operationId);
            await relay.AnswerAsync(held, ScriptedRelay.Succeed(held));
        }
    }

    private static async Task<EmulatorCommand> ReceivedAsync(ScriptedRelay relay, string operationId) =>
        (await Poll.UntilAsync(
            () => Task.FromResult(relay.Received.FirstOrDefault(c => c.OperationId == operationId && c.Action != EmulatorActions.Cancel)),
            c => c is not null, TimeSpan.FromSeconds(60), $"the relay to receive the command of {operationId}"))!;
}
