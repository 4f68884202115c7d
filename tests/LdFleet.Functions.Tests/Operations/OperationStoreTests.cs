using Azure.Data.Tables;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Commands;
using LdFleet.Testing;

namespace LdFleet.Functions.Tests.Operations;

public sealed class AzuriteFixture : IAsyncLifetime
{
    public AzuriteServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await AzuriteServer.StartAsync();

    public Task DisposeAsync() => Server.DisposeAsync().AsTask();
}

/// <summary>The operation store against a real Azurite: ETag-guarded transitions.</summary>
public sealed class OperationStoreTests : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TableServiceClient _service;
    private readonly OperationStore _store;

    public OperationStoreTests(AzuriteFixture azurite)
    {
        _service = new TableServiceClient(azurite.Server.ConnectionString);
        _store = new OperationStore(_service);
    }

    public async Task InitializeAsync() => await _service.CreateTableIfNotExistsAsync(FleetTables.Operations);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task CreateThenGet_RoundTripsEveryField()
    {
        var (operation, _) = NewOperation();

        await _store.CreateAsync(operation, default);

        var stored = await _store.GetAsync(operation.Id, default);

        // The command's parameter dictionary compares by reference, so compare the command by its JSON.
        Assert.Equal(operation with { PendingCommand = null }, stored! with { PendingCommand = null });
        Assert.Equal(ProtocolJson.Serialize(operation.PendingCommand).ToString(), ProtocolJson.Serialize(stored.PendingCommand).ToString());
    }

    [Fact]
    public async Task Apply_ConcurrentResultsForOneOperation_ExactlyOneApplies()
    {
        var (operation, command) = NewOperation();
        await _store.CreateAsync(operation, default);
        var outcomes = new[] { CommandOutcome.Succeeded, CommandOutcome.Failed, CommandOutcome.Succeeded, CommandOutcome.Failed, CommandOutcome.Succeeded, CommandOutcome.Failed };

        var results = await Task.WhenAll(outcomes.Select(outcome => _store.ApplyAsync(
            operation.Id,
            op => OperationDecider.Decide(op, new ResultReceived(Result(command, outcome), T0.AddSeconds(1))),
            default)));

        Assert.Single(results, r => r.Outcome == ApplyOutcome.Applied);
        Assert.Equal(outcomes.Length - 1, results.Count(r => r.Outcome == ApplyOutcome.Unchanged));
        var stored = await _store.GetAsync(operation.Id, default);
        Assert.Equal(results.Single(r => r.Outcome == ApplyOutcome.Applied).Operation!.Status, stored!.Status);
    }

    [Fact]
    public async Task Apply_UnknownOperation_IsNotFound()
    {
        var (outcome, operation) = await _store.ApplyAsync("0123456789abcdef0123456789abcdef", op => op, default);

        Assert.Equal(ApplyOutcome.NotFound, outcome);
        Assert.Null(operation);
    }

    private static (Operation, EmulatorCommand) NewOperation() =>
        OperationDecider.Start(new StartEmulatorAction("lab", "host-1", 3, EmulatorActions.Launch), Guid.NewGuid().ToString("N"), T0, new OperationsOptions());

    private static CommandResult Result(EmulatorCommand command, CommandOutcome outcome) => new()
    {
        SiteId = command.SiteId,
        CommandId = command.CommandId,
        OperationId = command.OperationId,
        HostId = command.HostId,
        Outcome = outcome,
        CompletedAt = T0,
    };
}
