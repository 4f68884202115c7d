using LdFleet.Testing;
using Xunit.Abstractions;

namespace LdFleet.Reliability.Tests;

/// <summary>The fleet with commands and results on a real AMQP 1.0 broker (RabbitMQ 3.10).</summary>
public sealed class AmqpReliabilityFixture : FleetFixture
{
    internal static readonly TimeSpan BrokerStartTimeout = TimeSpan.FromMinutes(3);
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
        // Erlang boots slowly on a busy 2-core machine (every test assembly runs at once): allow it time.
        _broker = await RabbitMqServer.StartAsync(
        [
            new RabbitMqQueue($"ldfleet-site-{SiteId}", $"ldfleet-site-{SiteId}-poison"),
            new RabbitMqQueue("ldfleet-results", "ldfleet-results-poison"),
        ], BrokerStartTimeout);
        return _broker.ConnectionString;
    }
}

/// <summary>The broker row of the fault matrix: RabbitMQ goes down and comes back while operations run.</summary>
[Trait("Category", "Reliability")]
public sealed class BrokerRestartTests : IClassFixture<AmqpReliabilityFixture>
{
    private const int Operations = 24;
    private readonly AmqpReliabilityFixture _fleet;
    private readonly ITestOutputHelper _output;

    public BrokerRestartTests(AmqpReliabilityFixture fleet, ITestOutputHelper output)
    {
        _fleet = fleet;
        _output = output;
    }

    [Fact]
    public async Task BrokerRestarts()
    {
        var workload = new AddWorkload(_fleet, "broker restart (AMQP 1.0)", Operations);
        var outage = new TaskCompletionSource();
        var clients = workload.StartAllAsync(onStarted: n => { if (n == Operations / 4) { outage.TrySetResult(); } });
        await outage.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await _fleet.Broker.StopAsync();

        // The outage's length is the fault being injected, not a wait for something to happen.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await _fleet.Broker.StartAgainAsync(AmqpReliabilityFixture.BrokerStartTimeout);
        await clients;

        (await workload.CountAsync(TimeSpan.FromMinutes(3))).Report(_output, await workload.OutcomesAsync(), await workload.DescribeAsync());
    }
}
