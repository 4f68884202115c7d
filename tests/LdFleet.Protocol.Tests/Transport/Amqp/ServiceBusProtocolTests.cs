using Amqp;
using Amqp.Framing;
using Amqp.Types;
using LdFleet.Protocol.Transport;
using LdFleet.Protocol.Transport.Amqp;
using LdFleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace LdFleet.Protocol.Tests.Transport.Amqp;

/// <summary>
/// The Service Bus-only protocol paths of the AMQP adapter (CBS, $management renew-lock, dead-letter info,
/// abandon as modified, server-busy back-off, WebSockets, reconnect) against <see cref="FakeServiceBus"/>.
/// </summary>
public sealed class ServiceBusProtocolTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Lock = TimeSpan.FromSeconds(30);

    private readonly List<IAsyncDisposable> _factories = [];
    private FakeServiceBus? _bus;

    [Fact]
    public async Task SaslPlain_SendReceiveComplete_UsesDataBodyLockTokenTagAndAccepted()
    {
        var queue = Open(NewBus().ConnectionString());

        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("{\"a\":1}")) { MessageId = "m-1" }, default);
        var message = Assert.Single(await ReceiveAsync(queue));
        await queue.CompleteAsync(message, default);

        var sent = Assert.Single(_bus!.Sent);
        Assert.Equal("{\"a\":1}", System.Text.Encoding.UTF8.GetString(Assert.IsType<Data>(sent.BodySection).Binary));
        Assert.Equal("m-1", message.MessageId);
        Assert.True(Guid.TryParse(message.LockToken, out _), $"lock token {message.LockToken} should be the delivery tag as a Guid");
        Assert.NotNull(message.LockedUntil);
        Assert.NotNull(message.EnqueuedAt);
        await Poll.UntilAsync(() => Task.FromResult(_bus.Dispositions.ToArray()), d => d.Any(x => x.State is Accepted), Deadline, "an accepted disposition");
    }

    [Fact]
    public async Task Abandon_SendsModifiedWithoutDeliveryFailed_AndRedeliveryCountsUp()
    {
        var queue = Open(NewBus().ConnectionString());
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("x")), default);
        var first = Assert.Single(await ReceiveAsync(queue));
        Assert.Equal(1, first.DeliveryCount);

        await queue.AbandonAsync(first, TimeSpan.Zero, default);

        var again = Assert.Single(await ReceiveAsync(queue));
        Assert.Equal(2, again.DeliveryCount);
        var (_, state) = Assert.Single(_bus!.Dispositions);
        var modified = Assert.IsType<Modified>(state);
        Assert.False(modified.DeliveryFailed);
        Assert.False(modified.UndeliverableHere);
    }

    [Fact]
    public async Task DeadLetter_SendsRejectedWithDeadLetterReasonInfo()
    {
        var bus = NewBus();
        var factory = Factory(bus.ConnectionString());
        var queue = factory.Open(bus.Queue);
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("poison")), default);
        var message = Assert.Single(await ReceiveAsync(queue));

        await queue.DeadLetterAsync(message, "cannot parse", default);

        var dispositions = await Poll.UntilAsync(() => Task.FromResult(bus.Dispositions.ToArray()), d => d.Length > 0, Deadline, "the dead-letter disposition");
        var rejected = Assert.IsType<Rejected>(Assert.Single(dispositions).State);
        Assert.Equal("com.microsoft:dead-letter", rejected.Error.Condition.ToString());
        Assert.Equal("cannot parse", rejected.Error.Info[new Symbol("DeadLetterReason")]);
        Assert.Contains("after 1 deliveries", rejected.Error.Info[new Symbol("DeadLetterErrorDescription")]?.ToString(), StringComparison.Ordinal);
        var dead = Assert.Single(await ReceiveAsync(factory.OpenDeadLetter(bus.Queue)));
        Assert.Equal("poison", dead.Body.ToString());
        Assert.Equal("cannot parse", dead.ApplicationProperties["DeadLetterReason"]);
    }

    [Fact]
    public async Task RenewLock_AsksManagementNodeWithLockTokenAndLinkName_AndUpdatesLockedUntil()
    {
        var queue = Open(NewBus().ConnectionString());
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("long job")), default);
        var message = Assert.Single(await ReceiveAsync(queue));
        var before = message.LockedUntil;

        await Poll.UntilAsync(async () =>
        {
            await queue.RenewLockAsync(message, Lock, default);
            return message.LockedUntil;
        }, until => until > before, Deadline, "a later lock expiry");

        var (tokens, linkName) = _bus!.Renewals.First();
        Assert.Equal(Guid.Parse(message.LockToken), Assert.Single(tokens));
        Assert.Contains("-receive-", linkName, StringComparison.Ordinal);
        await queue.CompleteAsync(message, default);
    }

    [Fact]
    public async Task Cbs_PutsValidSasTokensPerEntityAndManagementNode_AndRefreshesBeforeExpiry()
    {
        var bus = NewBus();
        var queue = Open(bus.ConnectionString(), new AmqpTransportOptions { Authentication = ServiceBusAuthentication.Cbs, SasTokenLifetime = TimeSpan.FromSeconds(2), ReceiveWaitTime = TimeSpan.FromMilliseconds(200) });

        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("authorized")), default);
        var message = Assert.Single(await ReceiveAsync(queue));
        await queue.RenewLockAsync(message, Lock, default);
        await queue.CompleteAsync(message, default);

        var entity = $"sb://127.0.0.1/{bus.Queue}";
        await Poll.UntilAsync(() => Task.FromResult(bus.PutTokens.Count(t => t.Audience == entity)), n => n >= 2, Deadline, "the entity token to be refreshed");
        Assert.All(bus.PutTokens, t =>
        {
            Assert.Equal(ServiceBusAccessToken.SasTokenType, t.Type);
            Assert.True(FakeServiceBus.IsValidSas(t.Token, t.Audience), $"token for {t.Audience} should verify");
        });
        Assert.Contains(bus.PutTokens, t => t.Audience == entity + "/$management");
    }

    [Fact]
    public async Task Cbs_WithTokenProviderAndNoKey_PutsJwtFromTheProvider()
    {
        var bus = NewBus();
        var provider = new FixedTokenProvider();
        var connection = $"Endpoint=sb://127.0.0.1:{bus.Port}/;UseDevelopmentEmulator=true";
        var factory = AmqpTransport.CreateFactory(connection, new AmqpTransportOptions(), provider, TimeProvider.System, NullLoggerFactory.Instance);
        _factories.Add(factory);

        await factory.Open(bus.Queue).SendAsync(new OutboundMessage(BinaryData.FromString("entra")), default);

        var put = Assert.Single(bus.PutTokens);
        Assert.Equal(("jwt", "eyJ.fake.jwt", $"sb://127.0.0.1/{bus.Queue}"), (put.Type, put.Token, put.Audience));
        Assert.Equal([put.Audience], provider.Audiences);
    }

    [Fact]
    public async Task ServerBusy_SendIsRetriedAfterBackOff()
    {
        var bus = NewBus();
        bus.BusyRejectionsLeft = 1;
        var queue = Open(bus.ConnectionString(), new AmqpTransportOptions { ServerBusyBackoff = TimeSpan.FromMilliseconds(50) });

        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("eventually")), default);

        Assert.Equal(2, bus.SendAttempts);
        Assert.Single(bus.Sent);
    }

    [Fact]
    public async Task WebSockets_SendAndReceiveOverWs()
    {
        _bus = new FakeServiceBus("ws-queue", webSockets: true);
        var queue = Open(_bus.ConnectionString(";TransportType=AmqpWebSockets"));

        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("over websockets")), default);
        var message = Assert.Single(await ReceiveAsync(queue));

        Assert.Equal("over websockets", message.Body.ToString());
        await queue.CompleteAsync(message, default);
    }

    [Fact]
    public async Task ConnectionDropped_NextSendReconnects_AndOldLocksAreReportedLost()
    {
        var bus = NewBus();
        var queue = Open(bus.ConnectionString());
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("before")), default);
        var held = Assert.Single(await ReceiveAsync(queue));

        bus.DropConnections();

        // Renewing checks the link first and settles nothing, so it can be asked until the drop is noticed.
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await queue.RenewLockAsync(held, Lock, default);
                return false;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
            catch (AmqpException)
            {
                // The renewal itself ran into the drop before the receive link had noticed it.
                return false;
            }
        }, lost => lost, Deadline, "the held message's lock to be reported lost");
        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.CompleteAsync(held, default));

        // The unsettled message comes back (the listener releases it when its link goes; the real service
        // when the lock lapses), and the same queue object works again on a new connection.
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("after")), default);
        var bodies = (await ReceiveAsync(queue, 2)).Select(m => m.Body.ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(["after", "before"], bodies);
        Assert.True(bus.ConnectionCount >= 2, $"expected a second connection, saw {bus.ConnectionCount}");
    }

    public void Dispose()
    {
        foreach (var factory in _factories)
        {
            factory.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _bus?.Dispose();
    }

    private FakeServiceBus NewBus() => _bus = new FakeServiceBus("orders");

    private IMessageQueue Open(string connectionString, AmqpTransportOptions? options = null) => Factory(connectionString, options).Open(_bus!.Queue);

    private AmqpMessageQueueFactory Factory(string connectionString, AmqpTransportOptions? options = null)
    {
        options ??= new AmqpTransportOptions { ReceiveWaitTime = TimeSpan.FromMilliseconds(200) };
        var factory = AmqpTransport.CreateFactory(connectionString, options, null, TimeProvider.System, NullLoggerFactory.Instance);
        _factories.Add(factory);
        return factory;
    }

    private static async Task<IReadOnlyList<InboundMessage>> ReceiveAsync(IMessageQueue queue, int count = 1)
    {
        var received = new List<InboundMessage>();
        await Poll.UntilAsync(async () =>
        {
            received.AddRange(await queue.ReceiveAsync(count - received.Count, Lock, default));
            return received.Count;
        }, n => n >= count, Deadline, $"{count} message(s)");
        return received;
    }

    private sealed class FixedTokenProvider : IServiceBusTokenProvider
    {
        public List<string> Audiences { get; } = [];

        public ValueTask<ServiceBusAccessToken> GetTokenAsync(string audience, CancellationToken cancellationToken)
        {
            lock (Audiences)
            {
                Audiences.Add(audience);
            }

            return ValueTask.FromResult(new ServiceBusAccessToken("eyJ.fake.jwt", ServiceBusAccessToken.JwtTokenType, DateTimeOffset.UtcNow.AddHours(1)));
        }
    }
}
