using LdFleet.Testing.ServiceBus;

namespace LdFleet.Testing;

/// <summary>
/// The fleet with commands on Service Bus (the real SDK against <see cref="TestServiceBus"/>) instead of Storage Queues;
/// results stay on the Storage queue. The relay holds only its site's SAS rule (Listen on its own command queue), as
/// infra/ provisions it in Azure.
/// </summary>
public sealed class ServiceBusFleetFixture : FleetFixture
{
    public const string RelayRule = "relay-" + SiteId;

    private TestServiceBus? _broker;

    public TestServiceBus Broker => _broker!;

    public static string CommandQueue => "ldfleet-site-" + SiteId;

    protected override IReadOnlyDictionary<string, string?> CloudSettings => new Dictionary<string, string?>
    {
        ["Transport__ResultsConnectionString"] = StorageConnectionString,
    };

    protected override IReadOnlyDictionary<string, string?> RelaySettings => new Dictionary<string, string?>
    {
        ["Transport__ConnectionString"] = _broker!.ConnectionStringFor(CommandQueue, RelayRule),
        ["Transport__ResultsConnectionString"] = StorageConnectionString,
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    protected override Task<string?> StartTransportAsync()
    {
        // Service Bus queues come from infra/ (the app has no management rights); the lock is as short as the relay's on
        // Storage Queues in the base fixture, so a killed relay's commands come back within seconds.
        _broker = TestServiceBus.Start();
        _broker.CreateQueue(CommandQueue, new TestQueueSettings { LockDuration = TimeSpan.FromSeconds(5) });
        _broker.AddRule(CommandQueue, RelayRule, ServiceBusRights.Listen);
        return Task.FromResult<string?>(_broker.ConnectionString);
    }
}
