using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using LdFleet.Functions.Batches;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Cleanup;
using LdFleet.Functions.Operations.Deadlines;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Functions.Storage;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Telemetry;
using LdFleet.Protocol.Telemetry;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Transport;
using LdFleet.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LdFleet.Functions.Tests.Operations;

public sealed class AzuriteFixture : IAsyncLifetime
{
    public AzuriteServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await AzuriteServer.StartAsync();
        var tables = new TableServiceClient(Server.ConnectionString);
        foreach (var table in FleetTables.All)
        {
            await tables.CreateTableIfNotExistsAsync(table);
        }
    }

    public Task DisposeAsync() => Server.DisposeAsync().AsTask();
}

/// <summary>
/// The engine against a real Azurite (Tables and Queues) with a fake clock: the store's ETag discipline, the
/// outbox, the deadline index and the sweep, and the cleanup job. Each test uses its own site so the shared
/// tables do not interfere; the creation cursor is shared, so tests never assert global counts.
/// </summary>
[Collection(nameof(EngineTests))]
public sealed class EngineTests : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    // The creation scan's cursor only moves forward and the tables are shared by this class's tests: each test
    // starts its clock a month after the previous one's, so earlier tests' cursor never hides its operations.
    private static int s_clock;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(30 * Interlocked.Increment(ref s_clock)));
    private readonly ServiceProvider _services;
    private readonly string _connection;
    private readonly string _siteId = "s" + Guid.NewGuid().ToString("N")[..12];

    public EngineTests(AzuriteFixture azurite)
    {
        _connection = azurite.Server.ConnectionString;
        _services = BuildEngine(_connection, _time);
    }

    /// <summary>One cloud instance's engine (operations, batches, sweep, cleanup) on the shared storage.</summary>
    private static ServiceProvider BuildEngine(string connection, TimeProvider time)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Transport:ConnectionString"] = connection }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton(time)
            .AddSingleton(new TableServiceClient(connection))
            .AddSingleton<OperationStore>()
            .AddSingleton<DeadlineIndex>()
            .AddSingleton<CrashPoints>()
            .AddSingleton<OperationEngine>()
            .AddSingleton<CloudMetrics>()
            .AddSingleton<BatchStore>()
            .AddSingleton<BatchEngine>()
            .AddSingleton<IBatchChildObserver>(sp => sp.GetRequiredService<BatchEngine>())
            .AddSingleton<IBatchSweeper>(sp => sp.GetRequiredService<BatchEngine>())
            .AddSingleton<OperationSweeper>()
            .AddSingleton<CleanupJob>()
            .AddFleetTransport();
        services.AddMetrics();
        services.AddOptions<OperationsOptions>();
        services.AddOptions<BatchOptions>();
        services.AddOptions<CleanupOptions>();
        services.AddOptions<RelaysOptions>();
        return services.BuildServiceProvider();
    }


    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private OperationEngine Engine => _services.GetRequiredService<OperationEngine>();

    private OperationSweeper Sweeper => _services.GetRequiredService<OperationSweeper>();

    private OperationStore Store => _services.GetRequiredService<OperationStore>();

    private OperationRequest Launch(int index = 0) => new() { Workflow = EmulatorActions.Launch, SiteId = _siteId, HostId = "host-1", Index = index };

    private async Task<List<EmulatorCommand>> DrainSiteQueueAsync()
    {
        var queue = new QueueClient(_connection, $"ldfleet-site-{_siteId}", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queue.CreateIfNotExistsAsync();
        var commands = new List<EmulatorCommand>();
        while ((await queue.ReceiveMessagesAsync(32)).Value is { Length: > 0 } messages)
        {
            foreach (var message in messages)
            {
                commands.Add(ProtocolJson.TryDeserialize<EmulatorCommand>(message.Body, out _)!);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }

        return commands;
    }

    [Fact]
    public async Task Start_WritesSendsAndRecordsTheSend()
    {
        var operation = await Engine.StartAsync(Launch(), new StartContext(), default);

        // The send is recorded a moment later (a fast result would make the record unnecessary).
        Assert.Equal(OperationStatus.Pending, operation.Status);
        _time.Advance(new OperationsOptions().SendRecordDelay);
        var stored = await Poll.UntilAsync(async () => (await Store.ReadAsync(operation.Id, default))!.Value.Operation, o => o.Status == OperationStatus.Dispatched, TimeSpan.FromSeconds(10), "the send to be recorded");
        Assert.Equal(OperationStatus.Dispatched, stored.Status);
        Assert.Null(stored.Outbox);
        Assert.Null(stored.IndexedFor); // the creation scan covers it: no index entry spent
        Assert.Equal(operation.Steps[0].CommandId, Assert.Single(await DrainSiteQueueAsync()).CommandId);
    }

    [Fact]
    public async Task Store_RoundTripsLargeSteps_AndRefusesStaleETag()
    {
        var output = new string('x', 4000);
        var steps = Enumerable.Range(0, 40).Select(_ => new SequenceStep(EmulatorActions.GetProp, new Dictionary<string, string> { ["key"] = "ro.product.model" })).ToList();
        var operation = OperationDecider.Start(new OperationRequest { Workflow = WorkflowCatalog.Sequence, SiteId = _siteId, HostId = "h", Index = 1, Steps = steps }, OperationIds.New(_time.GetUtcNow()), _time.GetUtcNow(), new OperationsOptions());
        for (var i = 0; i < 40; i++)
        {
            operation = Decide.Answer(operation, c => Decide.Result(c) with { Output = output });
        }

        var etag = await Store.InsertAsync(operation, default);
        var read = (await Store.ReadAsync(operation.Id, default))!.Value;

        Assert.Equal(40, read.Operation.Steps.Length);
        Assert.Equal(output, read.Operation.Steps[39].Output);
        Assert.Equal(OperationStatus.Succeeded, read.Operation.Status);
        Assert.NotNull(await Store.TryReplaceAsync(read.Operation, etag!.Value, default));
        Assert.Null(await Store.TryReplaceAsync(read.Operation, etag.Value, default));
        Assert.Null(await Store.InsertAsync(operation, default));
    }

    [Fact]
    public async Task Sweep_CommandLeftInOutbox_IsSentByCreationScan()
    {
        // What a crash between the write and the send leaves behind.
        var operation = OperationDecider.Start(Launch(), OperationIds.New(_time.GetUtcNow()), _time.GetUtcNow(), new OperationsOptions());
        await Store.InsertAsync(operation, default);

        await Sweeper.SweepOnceAsync(default);
        Assert.Empty(await DrainSiteQueueAsync()); // too young: whoever wrote it may still be sending

        _time.Advance(new OperationsOptions().CreationScanLag + TimeSpan.FromSeconds(1));
        await Sweeper.SweepOnceAsync(default);

        Assert.Equal(operation.Outbox!.Command.CommandId, Assert.Single(await DrainSiteQueueAsync()).CommandId);
        var stored = (await Store.ReadAsync(operation.Id, default))!.Value.Operation;
        Assert.Equal(OperationStatus.Dispatched, stored.Status);
        Assert.Equal(stored.Steps[0].AnswerBy, stored.IndexedFor); // now indexed for its answer deadline

        await Sweeper.SweepOnceAsync(default);
        Assert.Empty(await DrainSiteQueueAsync());
    }

    [Fact]
    public async Task Sweep_NoAnswer_TimesOutAtAnswerDeadline_ThroughTheIndex()
    {
        var operation = await Engine.StartAsync(Launch(), new StartContext(), default);
        await DrainSiteQueueAsync();
        var answerBy = operation.Steps[0].AnswerBy;

        _time.Advance(TimeSpan.FromMinutes(2));
        await Sweeper.SweepOnceAsync(default); // creation scan: indexes it for its answer deadline
        _time.SetUtcNow(answerBy - TimeSpan.FromSeconds(1));
        await Sweeper.SweepOnceAsync(default);
        Assert.Equal(OperationStatus.Dispatched, (await Engine.GetAsync(operation.Id, default))!.Status);

        _time.SetUtcNow(answerBy + new OperationsOptions().DeadlineBucket);
        await Sweeper.SweepOnceAsync(default);

        var timedOut = (await Engine.GetAsync(operation.Id, default))!;
        Assert.Equal(OperationStatus.TimedOut, timedOut.Status);
        Assert.Equal("NoAnswer", timedOut.Steps[0].ErrorCode);
        var late = Decide.Result(operation.Steps[0] is var s ? new EmulatorCommand { CommandId = s.CommandId, OperationId = operation.Id, SiteId = _siteId, HostId = "host-1", Action = s.Action, IssuedAt = s.SendAt, DeliverBy = s.DeliverBy } : null!);
        Assert.Equal(ApplyOutcome.Unchanged, await Engine.ApplyResultAsync(late, 0.5, default));
    }

    [Fact]
    public async Task Retry_IsScheduledInTheIndex_AndSentWhenDue()
    {
        var operation = await Engine.StartAsync(Launch(), new StartContext(), default);
        var first = Assert.Single(await DrainSiteQueueAsync());

        await Engine.ApplyResultAsync(Decide.Result(first, CommandOutcome.Failed, "Timeout"), 1.0, default);
        var retrying = (await Engine.GetAsync(operation.Id, default))!;
        Assert.True(retrying.Outbox!.Scheduled);
        Assert.Equal(retrying.Outbox.SendAt, retrying.IndexedFor);
        Assert.Empty(await DrainSiteQueueAsync());

        _time.SetUtcNow(retrying.Outbox.SendAt + TimeSpan.FromMilliseconds(1));
        await Sweeper.SweepOnceAsync(default);

        var second = Assert.Single(await DrainSiteQueueAsync());
        Assert.EndsWith(".1.2", second.CommandId, StringComparison.Ordinal);
        await Engine.ApplyResultAsync(Decide.Result(second), 0.5, default);
        Assert.Equal(OperationStatus.Succeeded, (await Engine.GetAsync(operation.Id, default))!.Status);
    }

    [Fact]
    public async Task ResultFromAnotherSite_IsIgnored()
    {
        var operation = await Engine.StartAsync(Launch(), new StartContext(), default);
        var command = Assert.Single(await DrainSiteQueueAsync());

        Assert.Equal(ApplyOutcome.Unchanged, await Engine.ApplyResultAsync(Decide.Result(command) with { SiteId = "intruder" }, 0.5, default));
        Assert.False((await Engine.GetAsync(operation.Id, default))!.Status.IsTerminal());
    }

    [Fact]
    public async Task Trace_OfTheStartingRequest_IsStoredAndCarriedByLaterCommandsSentOutsideIt()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == FleetTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        Operation operation;
        using (var request = new Activity("POST /api/operations").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            operation = await Engine.StartAsync(new OperationRequest { Workflow = WorkflowCatalog.Recycle, SiteId = _siteId, HostId = "host-1", Index = 1, Parameters = new Dictionary<string, string> { ["file"] = "D:\\b.ldbk" } }, new StartContext(), default);
            Assert.True(TraceContext.TryParse(operation.TraceParent, null, out var stored));
            Assert.Equal(request.TraceId, stored.TraceId);
        }

        var first = Assert.Single(await DrainSiteQueueAsync());
        Assert.True(TraceContext.TryParse(first.TraceParent, null, out var firstContext));
        Assert.Equal(ActivityTraceId.CreateFromString(operation.TraceParent!.AsSpan(3, 32)), firstContext.TraceId);

        // The result is applied with no span around it (as by another instance after a restart, or a message without
        // context): the next step's command still joins the operation's trace, through the stored context.
        Assert.Null(Activity.Current);
        Assert.Equal(ApplyOutcome.Applied, await Engine.ApplyResultAsync(Decide.Succeed(first), 0.5, default));
        var second = Assert.Single(await DrainSiteQueueAsync());
        Assert.True(TraceContext.TryParse(second.TraceParent, null, out var secondContext));
        Assert.Equal(firstContext.TraceId, secondContext.TraceId);
        Assert.NotEqual(firstContext.SpanId, secondContext.SpanId);
        Assert.Equal(operation.TraceParent, (await Engine.GetAsync(operation.Id, default))!.TraceParent);
    }

    [Fact]
    public async Task TwoEngines_SameOperation_ConcurrentResultsAndSends_ApplyOnce()
    {
        await using var other = BuildEngine(_connection, _time);
        var engineB = other.GetRequiredService<OperationEngine>();
        var operation = await Engine.StartAsync(new OperationRequest { Workflow = WorkflowCatalog.Recycle, SiteId = _siteId, HostId = "host-1", Index = 1, Parameters = new Dictionary<string, string> { ["file"] = "D:\\b.ldbk" } }, new StartContext(), default);

        // Each command's result is delivered to both instances at once (duplicate delivery across instances).
        for (var step = 0; step < 5; step++)
        {
            var command = Assert.Single(await DrainSiteQueueAsync());
            var result = Decide.Succeed(command);
            var outcomes = await Task.WhenAll(Engine.ApplyResultAsync(result, 0.5, default), engineB.ApplyResultAsync(result, 0.5, default));
            Assert.Single(outcomes, o => o == ApplyOutcome.Applied);
        }

        var done = (await Engine.GetAsync(operation.Id, default))!;
        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal(["quit", "waitstopped", "restore", "launch", "waitbooted"], done.Steps.Select(s => s.Action));
        Assert.Empty(await DrainSiteQueueAsync());
    }

    [Fact]
    public async Task Cancel_DispatchedOperation_SendsCancelToRelay()
    {
        var operation = await Engine.StartAsync(Launch(), new StartContext(), default);
        var command = Assert.Single(await DrainSiteQueueAsync());

        var (outcome, cancelled) = await Engine.CancelAsync(operation.Id, "test", default);

        Assert.Equal(ApplyOutcome.Applied, outcome);
        Assert.Equal(OperationStatus.Cancelled, cancelled!.Status);
        var cancel = Assert.Single(await DrainSiteQueueAsync());
        Assert.Equal(EmulatorActions.Cancel, cancel.Action);
        Assert.Equal(command.CommandId, cancel.Parameters[CommandParameters.CommandId]);
        _time.Advance(new OperationsOptions().SendRecordDelay);
        await Poll.UntilAsync(async () => (await Engine.GetAsync(operation.Id, default))!, o => o.Outbox is null, TimeSpan.FromSeconds(10), "the cancel's send to be recorded");
        Assert.Equal(ApplyOutcome.Unchanged, (await Engine.CancelAsync(operation.Id, null, default)).Outcome);
    }

    [Fact]
    public async Task Batch_RunsAllChildren_WithinConcurrency_AndCompletes()
    {
        var batches = _services.GetRequiredService<BatchEngine>();
        var items = Enumerable.Range(0, 12).Select(i => new BatchItem { Seq = i, SiteId = _siteId, HostId = $"host-{i % 3}", Index = i, Status = BatchItemStatus.Pending }).ToList();
        var request = new BatchRequest { Workflow = EmulatorActions.Launch, Selector = new TargetSelector { SiteIds = [_siteId] }, MaxConcurrency = "4", MaxConcurrencyPerHost = "2" };

        var batch = await batches.CreateAsync(request, items, "tester", default);
        var maxSeen = 0;
        while (!batch.Status.IsTerminal())
        {
            var (commands, latest) = await Poll.UntilAsync(
                async () => (await DrainSiteQueueAsync(), (await batches.GetAsync(batch.Id, default))!),
                t => t.Item1.Count > 0 || t.Item2.Status.IsTerminal(),
                TimeSpan.FromSeconds(20),
                "the batch starting children or finishing");
            batch = latest;
            maxSeen = Math.Max(maxSeen, commands.Count);
            Assert.All(commands.GroupBy(c => c.HostId), g => Assert.True(g.Count() <= 2));
            foreach (var command in commands)
            {
                await Engine.ApplyResultAsync(Decide.Succeed(command), 0.5, default);
            }

            batch = (await batches.PumpAsync(batch.Id, default))!;
        }

        Assert.Equal(BatchStatus.Succeeded, batch.Status);
        Assert.Equal(12, batch.Counts.Succeeded);
        Assert.InRange(maxSeen, 1, 4);
    }

    [Fact]
    public async Task Cleanup_ExpiresStuckAndPurgesOldFinishedOperations()
    {
        var options = new CleanupOptions();
        var stuck = await Engine.StartAsync(Launch(1), new StartContext(), default);
        var done = await Engine.StartAsync(Launch(2), new StartContext(), default);
        var command = (await DrainSiteQueueAsync()).Single(c => c.OperationId == done.Id);
        await Engine.ApplyResultAsync(Decide.Succeed(command), 0.5, default);

        _time.Advance(options.ExpireAfter + TimeSpan.FromMinutes(1));
        await _services.GetRequiredService<CleanupJob>().RunOnceAsync(default);
        Assert.Equal(OperationStatus.TimedOut, (await Engine.GetAsync(stuck.Id, default))!.Status);
        Assert.NotNull(await Engine.GetAsync(done.Id, default));

        _time.Advance(options.Retention);
        await _services.GetRequiredService<CleanupJob>().RunOnceAsync(default);
        Assert.Null(await Engine.GetAsync(stuck.Id, default));
        Assert.Null(await Engine.GetAsync(done.Id, default));
    }
}
