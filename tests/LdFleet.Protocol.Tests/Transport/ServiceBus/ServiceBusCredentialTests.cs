using Azure.Messaging.ServiceBus;
using LdFleet.Protocol.Tests.Transport.Conformance;
using LdFleet.Protocol.Transport;
using LdFleet.Testing.ServiceBus;

namespace LdFleet.Protocol.Tests.Transport.ServiceBus;

/// <summary>
/// A relay's Service Bus credential, as infra/ provisions it: the SAS rule <c>relay-&lt;site&gt;</c> with Listen on its own
/// command queue. The SDK against the test broker, which checks rules as Service Bus does.
/// </summary>
[Collection(ServiceBusCollection.Name)]
public sealed class ServiceBusCredentialTests
{
    private static readonly TimeSpan Lock = TimeSpan.FromSeconds(30);
    private readonly TestServiceBus _broker;

    public ServiceBusCredentialTests(ServiceBusFixture bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        _broker = bus.Broker;
    }

    [Fact]
    public async Task SiteRule_ReadsItsOwnCommands_AndNothingElse()
    {
        var (mine, other) = (NewSiteQueue(), NewSiteQueue());
        _broker.AddRule(mine, "relay", ServiceBusRights.Listen);
        await using var cloud = ServiceBusFixture.CreateFactory(_broker.ConnectionString);
        await using var relay = ServiceBusFixture.CreateFactory(_broker.ConnectionStringFor(mine, "relay"));
        await cloud.Open(mine).SendAsync(new OutboundMessage(BinaryData.FromString("for me")), default);
        await cloud.Open(other).SendAsync(new OutboundMessage(BinaryData.FromString("not for me")), default);

        // What the site's relay needs works...
        var received = await ReceiveOneAsync(relay.Open(mine));
        Assert.Equal("for me", received.Body.ToString());
        await relay.Open(mine).CompleteAsync(received, default);

        // ...and nothing else: another site's commands, or putting commands on any queue. The SDK itself refuses other queues
        // while the connection string names the rule's EntityPath; the broker refuses them without it, too.
        await using var stripped = ServiceBusFixture.CreateFactory(_broker.ConnectionStringFor(mine, "relay").Replace(";EntityPath=" + mine, "", StringComparison.Ordinal));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => stripped.Open(other).ReceiveAsync(1, Lock, default));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => relay.Open(mine).SendAsync(new OutboundMessage(BinaryData.FromString("forged command")), default));
        Assert.Equal(1, _broker.ActiveCount(other));
    }

    [Fact]
    public async Task RegeneratingTheRuleKey_RevokesTheOldConnectionStringAtOnce()
    {
        var queue = NewSiteQueue();
        _broker.AddRule(queue, "relay", ServiceBusRights.Listen);
        var old = _broker.ConnectionStringFor(queue, "relay");
        await using var relay = ServiceBusFixture.CreateFactory(old);
        Assert.Empty(await relay.Open(queue).ReceiveAsync(1, Lock, default));

        _broker.RegenerateKey(queue, "relay");

        // The connection that used the old key is dropped, and the old key no longer authorizes a new one.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => relay.Open(queue).ReceiveAsync(1, Lock, default));
        Assert.True(refused is UnauthorizedAccessException or ServiceBusException, refused.ToString());
        await using var again = ServiceBusFixture.CreateFactory(old);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => again.Open(queue).ReceiveAsync(1, Lock, default));
        await using var rotated = ServiceBusFixture.CreateFactory(_broker.ConnectionStringFor(queue, "relay"));
        Assert.Empty(await rotated.Open(queue).ReceiveAsync(1, Lock, default));
    }

    private string NewSiteQueue()
    {
        var name = "ldfleet-site-" + Guid.NewGuid().ToString("N")[..8];
        _broker.CreateQueue(name, new TestQueueSettings { LockDuration = Lock });
        return name;
    }

    private static async Task<InboundMessage> ReceiveOneAsync(IMessageQueue queue)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if ((await queue.ReceiveAsync(1, Lock, default)) is [var message])
            {
                return message;
            }
        }

        throw new TimeoutException($"No message on {queue.Name}.");
    }
}
