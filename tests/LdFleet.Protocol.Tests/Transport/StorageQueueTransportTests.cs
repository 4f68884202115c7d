using Azure.Storage.Queues;
using LdFleet.Protocol.Transport;
using LdFleet.Testing;

namespace LdFleet.Protocol.Tests.Transport;

public sealed class AzuriteFixture : IAsyncLifetime
{
    public AzuriteServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await AzuriteServer.StartAsync();

    public Task DisposeAsync() => Server.DisposeAsync().AsTask();
}

/// <summary>The Storage Queues adapter against a real Azurite.</summary>
public sealed class StorageQueueTransportTests : IClassFixture<AzuriteFixture>
{
    private readonly QueueServiceClient _service;
    private readonly IMessageQueueFactory _factory;

    public StorageQueueTransportTests(AzuriteFixture azurite)
    {
        _service = new QueueServiceClient(azurite.Server.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        _factory = new StorageQueueFactory(_service);
    }

    [Fact]
    public async Task GetApproximateDepth_CountsWaitingMessages()
    {
        var queue = await NewQueueAsync();
        Assert.Equal(0, await queue.GetApproximateDepthAsync(default));

        await queue.SendBatchAsync([new OutboundMessage(BinaryData.FromString("1")), new OutboundMessage(BinaryData.FromString("2"))], default);

        Assert.Equal(2, await queue.GetApproximateDepthAsync(default));
    }

    [Fact]
    public async Task SendReceiveComplete_RoundTripsBodyAndRemovesMessage()
    {
        var queue = await NewQueueAsync();
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("{\"a\":1}")), default);

        var received = Assert.Single(await queue.ReceiveAsync(10, TimeSpan.FromSeconds(30), default));
        Assert.Equal("{\"a\":1}", received.Body.ToString());
        Assert.Equal(1, received.DeliveryCount);
        await queue.CompleteAsync(received, default);
        await queue.CompleteAsync(received, default);

        Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.Zero, default));
    }

    [Fact]
    public async Task Receive_LockedMessage_IsInvisibleToOthersUntilAbandoned()
    {
        var queue = await NewQueueAsync();
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("x")), default);
        var first = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.FromMinutes(1), default));

        Assert.Empty(await queue.ReceiveAsync(1, TimeSpan.FromMinutes(1), default));
        await queue.AbandonAsync(first, TimeSpan.Zero, default);

        var again = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.FromMinutes(1), default));
        Assert.Equal(2, again.DeliveryCount);
    }

    [Fact]
    public async Task RenewLock_KeepsTheMessageCompletable()
    {
        var queue = await NewQueueAsync();
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("x")), default);
        var message = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.FromMinutes(1), default));
        var firstToken = message.LockToken;

        await queue.RenewLockAsync(message, TimeSpan.FromMinutes(1), default);

        Assert.NotEqual(firstToken, message.LockToken);
        await queue.CompleteAsync(message, default);
        Assert.Empty(await queue.ReceiveAsync(1, TimeSpan.Zero, default));
    }

    [Fact]
    public async Task DeadLetter_MovesMessageToPoisonQueueWithReason()
    {
        var queue = await NewQueueAsync();
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("not json")), default);
        var message = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.FromMinutes(1), default));

        await queue.DeadLetterAsync(message, "cannot parse", default);

        Assert.Empty(await queue.ReceiveAsync(1, TimeSpan.Zero, default));
        var poison = Assert.Single(await _factory.Open(queue.Name + "-poison").ReceiveAsync(1, TimeSpan.FromMinutes(1), default));
        Assert.Contains("cannot parse", poison.Body.ToString(), StringComparison.Ordinal);
        Assert.Contains("not json", poison.Body.ToString(), StringComparison.Ordinal);
    }

    private async Task<IMessageQueue> NewQueueAsync()
    {
        var queue = _factory.Open("q" + Guid.NewGuid().ToString("N")[..20]);
        await queue.EnsureExistsAsync(default);
        return queue;
    }
}
