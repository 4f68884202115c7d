using Azure.Messaging.ServiceBus;
using LdFleet.Protocol.Tests.Transport.Conformance;
using LdFleet.Testing.ServiceBus;

namespace LdFleet.Protocol.Tests.Transport.ServiceBus;

/// <summary>
/// The test broker's Service Bus behaviours beyond the port's conformance suite, driven by the real SDK: max delivery
/// count, scheduled messages, the message size limit.
/// </summary>
[Collection(ServiceBusCollection.Name)]
public sealed class TestServiceBusTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(1);
    private readonly TestServiceBus _broker;

    public TestServiceBusTests(ServiceBusFixture bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        _broker = bus.Broker;
    }

    [Fact]
    public async Task AbandonedPastMaxDeliveryCount_IsDeadLetteredWithTheReason()
    {
        var queue = NewQueue(new TestQueueSettings { MaxDeliveryCount = 2 });
        await using var client = new ServiceBusClient(_broker.ConnectionString);
        await client.CreateSender(queue).SendMessageAsync(new ServiceBusMessage("keeps failing"));
        var receiver = client.CreateReceiver(queue);

        for (var delivery = 1; delivery <= 2; delivery++)
        {
            var message = await ReceiveAsync(receiver);
            Assert.Equal(delivery, message.DeliveryCount);
            await receiver.AbandonMessageAsync(message);
        }

        var dead = await ReceiveAsync(client.CreateReceiver(queue, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter }));
        Assert.Equal("keeps failing", dead.Body.ToString());
        Assert.Equal("MaxDeliveryCountExceeded", dead.DeadLetterReason);
        Assert.Null(await receiver.ReceiveMessageAsync(Wait));
    }

    [Fact]
    public async Task ScheduledMessage_ArrivesAtItsTime_AndCancelledOneNever()
    {
        var queue = NewQueue();
        await using var client = new ServiceBusClient(_broker.ConnectionString);
        var sender = client.CreateSender(queue);
        var at = DateTimeOffset.UtcNow.AddSeconds(3);
        await sender.ScheduleMessageAsync(new ServiceBusMessage("later"), at);
        var cancelled = await sender.ScheduleMessageAsync(new ServiceBusMessage("never"), at);
        await sender.CancelScheduledMessageAsync(cancelled);
        var receiver = client.CreateReceiver(queue);

        Assert.Null(await receiver.ReceiveMessageAsync(Wait));
        var message = await ReceiveAsync(receiver);

        Assert.Equal("later", message.Body.ToString());
        Assert.True(DateTimeOffset.UtcNow >= at, "delivered before its scheduled time");
        await receiver.CompleteMessageAsync(message);
        Assert.Null(await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task MessageOverTheSizeLimit_FailsWithMessageSizeExceeded()
    {
        var queue = NewQueue();
        await using var client = new ServiceBusClient(_broker.ConnectionString);

        var error = await Assert.ThrowsAsync<ServiceBusException>(() => client.CreateSender(queue).SendMessageAsync(new ServiceBusMessage(new byte[300 * 1024])));

        Assert.Equal(ServiceBusFailureReason.MessageSizeExceeded, error.Reason);
        Assert.Equal(0, _broker.ActiveCount(queue));
    }

    private string NewQueue(TestQueueSettings? settings = null)
    {
        var name = "b" + Guid.NewGuid().ToString("N")[..20];
        _broker.CreateQueue(name, settings);
        return name;
    }

    private static async Task<ServiceBusReceivedMessage> ReceiveAsync(ServiceBusReceiver receiver)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (await receiver.ReceiveMessageAsync(Wait) is { } message)
            {
                return message;
            }
        }

        throw new TimeoutException($"Nothing arrived on {receiver.EntityPath}.");
    }
}
