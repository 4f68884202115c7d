using Azure.Data.Tables;
using Azure.Storage.Queues;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>The sweep repairs what a crash between "record" and "send" leaves, and times out silent operations.</summary>
public sealed class OperationSweeperTests : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services;
    private readonly string _connection;
    private readonly string _siteId = "s" + Guid.NewGuid().ToString("N")[..12];

    public OperationSweeperTests(AzuriteFixture azurite)
    {
        _connection = azurite.Server.ConnectionString;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Transport:ConnectionString"] = _connection }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton<TimeProvider>(_time)
            .AddSingleton(new TableServiceClient(_connection))
            .AddSingleton<OperationStore>()
            .AddSingleton<OperationService>()
            .AddSingleton<OperationSweeper>()
            .AddFleetTransport();
        services.AddOptions<OperationsOptions>();
        _services = services.BuildServiceProvider();
    }

    public async Task InitializeAsync() => await new TableServiceClient(_connection).CreateTableIfNotExistsAsync(FleetTables.Operations);

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Sweep_CommandLeftInOutbox_IsSentOnceAndOperationDispatched()
    {
        var store = _services.GetRequiredService<OperationStore>();
        var (operation, command) = OperationDecider.Start(new StartEmulatorAction(_siteId, "host-1", 0, EmulatorActions.Launch), Guid.NewGuid().ToString("N"), _time.GetUtcNow(), new OperationsOptions());
        await store.CreateAsync(operation, default);
        var sweeper = _services.GetRequiredService<OperationSweeper>();

        // Too fresh: the API request that wrote it may still be sending.
        Assert.Equal((0, 0), await sweeper.SweepOnceAsync(default));
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(1, (await sweeper.SweepOnceAsync(default)).Redriven);
        Assert.Equal(0, (await sweeper.SweepOnceAsync(default)).Redriven);

        var stored = await store.GetAsync(operation.Id, default);
        Assert.Equal(OperationStatus.Dispatched, stored!.Status);
        Assert.Null(stored.PendingCommand);
        var queue = new QueueClient(_connection, $"ldfleet-site-{_siteId}", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var messages = (await queue.ReceiveMessagesAsync(32)).Value;
        var sent = ProtocolJson.TryDeserialize<EmulatorCommand>(Assert.Single(messages).Body, out _);
        Assert.Equal(command.CommandId, sent!.CommandId);
    }

    [Fact]
    public async Task Sweep_NoAnswerPastDeadline_TimesOutAndIgnoresLateResult()
    {
        var store = _services.GetRequiredService<OperationStore>();
        var service = _services.GetRequiredService<OperationService>();
        var sent = await service.StartAsync(new StartEmulatorAction(_siteId, "host-1", 0, EmulatorActions.Launch), default);
        var sweeper = _services.GetRequiredService<OperationSweeper>();

        // Other tests' operations share the table, so look at this one rather than at the counts.
        _time.Advance(sent.AnswerBy - _time.GetUtcNow() - TimeSpan.FromSeconds(1));
        await sweeper.SweepOnceAsync(default);
        Assert.Equal(OperationStatus.Dispatched, (await store.GetAsync(sent.Id, default))!.Status);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True((await sweeper.SweepOnceAsync(default)).TimedOut >= 1);

        var timedOut = await store.GetAsync(sent.Id, default);
        Assert.Equal(OperationStatus.TimedOut, timedOut!.Status);
        Assert.Equal("NoAnswer", timedOut.ErrorCode);
        var late = new CommandResult { SiteId = _siteId, CommandId = sent.CommandId, OperationId = sent.Id, HostId = "host-1", Outcome = CommandOutcome.Succeeded, CompletedAt = _time.GetUtcNow() };
        Assert.Null(OperationDecider.Decide(timedOut, new ResultReceived(late, _time.GetUtcNow())));
    }
}
