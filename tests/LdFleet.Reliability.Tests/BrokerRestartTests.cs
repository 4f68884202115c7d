using LdFleet.Testing;
using Xunit.Abstractions;

namespace LdFleet.Reliability.Tests;

/// <summary>The broker row of the fault matrix: the Service Bus test broker goes down and comes back while operations run.</summary>
[Trait("Category", "Reliability")]
public sealed class BrokerRestartTests : IClassFixture<ServiceBusFleetFixture>
{
    private const int Operations = 24;
    private readonly ServiceBusFleetFixture _fleet;
    private readonly ITestOutputHelper _output;

    public BrokerRestartTests(ServiceBusFleetFixture fleet, ITestOutputHelper output)
    {
        _fleet = fleet;
        _output = output;
    }

    [Fact]
    public async Task BrokerRestarts()
    {
        var workload = new AddWorkload(_fleet, "broker restart (Service Bus SDK, test broker)", Operations);
        var outage = new TaskCompletionSource();
        var clients = workload.StartAllAsync(onStarted: n => { if (n == Operations / 4) { outage.TrySetResult(); } });
        await outage.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await _fleet.Broker.StopAsync();

        // The outage's length is the fault being injected, not a wait for something to happen.
        await Task.Delay(TimeSpan.FromSeconds(3));
        _fleet.Broker.StartAgain();
        await clients;

        (await workload.CountAsync(TimeSpan.FromMinutes(3))).Report(_output, await workload.OutcomesAsync(), await workload.DescribeAsync());
    }
}
