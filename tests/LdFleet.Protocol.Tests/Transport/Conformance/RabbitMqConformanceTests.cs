using LdFleet.Protocol.Transport;
using LdFleet.Protocol.Transport.Amqp;
using LdFleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace LdFleet.Protocol.Tests.Transport.Conformance;

/// <summary>One RabbitMQ 3.10 for every test that needs it, with a pool of pre-declared queues.</summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    private const int PoolSize = 12;
    private int _next;

    public RabbitMqServer Server { get; private set; } = null!;

    /// <summary>A quorum queue that dead-letters a message after two returns (x-delivery-limit 2).</summary>
    public string LimitedQueue { get; } = "limited";

    public async Task InitializeAsync()
    {
        var queues = Enumerable.Range(1, PoolSize)
            .Select(i => new RabbitMqQueue(PoolName(i), DeadLetterQueue: PoolName(i) + AmqpMessageQueueFactory.RabbitMqDeadLetterSuffix))
            .Append(new RabbitMqQueue(LimitedQueue, DeliveryLimit: 2, DeadLetterQueue: LimitedQueue + AmqpMessageQueueFactory.RabbitMqDeadLetterSuffix))
            .ToArray();
        Server = await RabbitMqServer.StartAsync(queues);
    }

    public Task DisposeAsync() => Server?.DisposeAsync().AsTask() ?? Task.CompletedTask;

    /// <summary>A queue no other test has used: AMQP 1.0 on RabbitMQ 3.10 cannot declare new ones.</summary>
    public string TakeQueue()
    {
        var index = Interlocked.Increment(ref _next);
        return index <= PoolSize ? PoolName(index) : throw new InvalidOperationException($"All {PoolSize} pre-declared queues are used; raise RabbitMqFixture.PoolSize.");
    }

    /// <summary>A factory with short receive waits, so "nothing there" answers quickly in tests.</summary>
    internal AmqpMessageQueueFactory CreateFactory() =>
        AmqpTransport.CreateFactory(Server.ConnectionString, new AmqpTransportOptions { ReceiveWaitTime = TimeSpan.FromMilliseconds(300), OperationTimeout = TimeSpan.FromSeconds(15) }, null, TimeProvider.System, NullLoggerFactory.Instance);

    private static string PoolName(int index) => $"conformance-{index:00}";
}

[CollectionDefinition(Name)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqFixture>
{
    public const string Name = "RabbitMQ";
}

/// <summary>The conformance suite against a real RabbitMQ 3.10 speaking AMQP 1.0 (the Service Bus stand-in).</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqConformanceTests : TransportConformanceTests, IAsyncLifetime
{
    private readonly RabbitMqFixture _rabbit;
    private readonly AmqpMessageQueueFactory _factory;

    public RabbitMqConformanceTests(RabbitMqFixture rabbit)
    {
        ArgumentNullException.ThrowIfNull(rabbit);
        _rabbit = rabbit;
        _factory = rabbit.CreateFactory();
    }

    protected override IMessageQueueFactory Factory => _factory;

    // RabbitMQ 3.10 sends no delivery count over AMQP 1.0, only first-acquirer (reference B.1).
    protected override TransportCapabilities Capabilities { get; } = new(CarriesProperties: true, ExactDeliveryCount: false);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    protected override Task<string> NewQueueAsync() => Task.FromResult(_rabbit.TakeQueue());

    protected override (string Reason, string Body) ReadDeadLetter(InboundMessage message) =>
        (message.ApplicationProperties["DeadLetterReason"], message.Body.ToString());
}
