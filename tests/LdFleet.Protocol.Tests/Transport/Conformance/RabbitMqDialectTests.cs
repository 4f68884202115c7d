using LdFleet.Protocol.Transport;
using LdFleet.Protocol.Transport.Amqp;
using LdFleet.Testing;

namespace LdFleet.Protocol.Tests.Transport.Conformance;

/// <summary>RabbitMQ 3.10 behaviour the adapter relies on beyond the shared conformance suite (reference B.1).</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqDialectTests : IAsyncLifetime
{
    private static readonly TimeSpan Lock = TimeSpan.FromSeconds(30);
    private readonly RabbitMqFixture _rabbit;
    private readonly AmqpMessageQueueFactory _factory;

    public RabbitMqDialectTests(RabbitMqFixture rabbit)
    {
        ArgumentNullException.ThrowIfNull(rabbit);
        _rabbit = rabbit;
        _factory = rabbit.CreateFactory();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task Abandon_PastTheQuorumDeliveryLimit_DeadLettersTheMessage()
    {
        var queue = _factory.Open(_rabbit.LimitedQueue);
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("keeps failing")) { MessageId = "limit-1" }, default);

        // x-delivery-limit 2: the third return is one too many, the stand-in for MaxDeliveryCount.
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var message = await Poll.UntilAsync(() => queue.ReceiveAsync(1, Lock, default), m => m.Count == 1, TimeSpan.FromSeconds(10), $"delivery {attempt}");
            await queue.AbandonAsync(message[0], TimeSpan.Zero, default);
        }

        var dead = await Poll.UntilAsync(() => _factory.OpenDeadLetter(_rabbit.LimitedQueue).ReceiveAsync(1, Lock, default), m => m.Count == 1, TimeSpan.FromSeconds(10), "the over-delivered message in the dead-letter queue");
        Assert.Equal("limit-1", dead[0].MessageId);
        Assert.Empty(await queue.ReceiveAsync(1, Lock, default));
    }

    [Fact]
    public async Task RenewLock_IsANoOpThatKeepsTheMessageCompletable()
    {
        var queue = _factory.Open(_rabbit.TakeQueue());
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("x")), default);
        var message = (await Poll.UntilAsync(() => queue.ReceiveAsync(1, Lock, default), m => m.Count == 1, TimeSpan.FromSeconds(10), "the message"))[0];

        await queue.RenewLockAsync(message, Lock, default);
        await queue.CompleteAsync(message, default);

        Assert.Empty(await queue.ReceiveAsync(1, Lock, default));
    }

    [Fact]
    public async Task EnsureExists_UndeclaredQueue_ThrowsWithTheFix()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => _factory.Open("never-declared").EnsureExistsAsync(default));

        Assert.Contains("declare it in the broker's definitions", failure.Message, StringComparison.Ordinal);

        // The failed attach must not poison the shared connection for other queues.
        var other = _factory.Open(_rabbit.TakeQueue());
        await other.EnsureExistsAsync(default);
        await other.SendAsync(new OutboundMessage(BinaryData.FromString("still fine")), default);
    }
}
