namespace LdFleet.Testing;

/// <summary>The fleet with commands and results on a real AMQP 1.0 broker (RabbitMQ 3.10) instead of Storage Queues.</summary>
public sealed class AmqpFleetFixture : FleetFixture
{
    private RabbitMqServer? _broker;

    public RabbitMqServer Broker => _broker!;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    protected override async Task<string?> StartTransportAsync()
    {
        // AMQP 1.0 clients cannot declare queues on RabbitMQ 3.10; in Azure, infra/ provisions them the same way.
        _broker = await RabbitMqServer.StartAsync(
        [
            new RabbitMqQueue($"ldfleet-site-{SiteId}", $"ldfleet-site-{SiteId}-poison"),
            new RabbitMqQueue("ldfleet-results", "ldfleet-results-poison"),
        ]);
        return _broker.ConnectionString;
    }
}
