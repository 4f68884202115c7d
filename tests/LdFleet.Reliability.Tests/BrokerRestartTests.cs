using LdFleet.Testing;
using Xunit.Abstractions;

namespace LdFleet.Reliability.Tests;

/// <summary>The broker row of the fault matrix: RabbitMQ goes down and comes back while operations run.</summary>
[Trait("Category", "Reliability")]
public sealed class BrokerRestartTests : IClassFixture<AmqpFleetFixture>
{
    private const int Operations = 24;
    private readonly AmqpFleetFixture _fleet;
    private readonly ITestOutputHelper _output;

    public BrokerRestartTests(AmqpFleetFixture fleet, ITestOutputHelper output)
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
        await _fleet.Broker.StartAgainAsync();
        await clients;

        (await workload.CountAsync(TimeSpan.FromMinutes(3))).Report(_output, await workload.OutcomesAsync(), await workload.DescribeAsync());
    }
}
