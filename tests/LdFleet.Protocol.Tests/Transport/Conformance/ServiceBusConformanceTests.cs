using LdFleet.Protocol.Transport;
using LdFleet.Protocol.Transport.ServiceBus;
using LdFleet.Testing.ServiceBus;

namespace LdFleet.Protocol.Tests.Transport.Conformance;

/// <summary>One Service Bus test broker for the Service Bus test classes; each test makes queues of its own.</summary>
public sealed class ServiceBusFixture : IAsyncLifetime
{
    public TestServiceBus Broker { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Broker = TestServiceBus.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => Broker.DisposeAsync().AsTask();

    /// <summary>A factory on the real SDK; short waits so "nothing there" answers quickly in tests.</summary>
    internal static ServiceBusQueueFactory CreateFactory(string connectionString, ServiceBusTransportOptions? options = null)
    {
        options ??= new ServiceBusTransportOptions { ReceiveWaitTime = TimeSpan.FromMilliseconds(300), RetryDelay = TimeSpan.FromMilliseconds(100), MaxRetries = 5, TryTimeout = TimeSpan.FromSeconds(10) };
        return ServiceBusConnection.TryParse(connectionString, out var connection, out var error)
            ? new ServiceBusQueueFactory(connection.CreateClient(options), options)
            : throw new ArgumentException(error, nameof(connectionString));
    }
}

[CollectionDefinition(Name)]
public sealed class ServiceBusCollection : ICollectionFixture<ServiceBusFixture>
{
    public const string Name = "Service Bus test broker";
}

/// <summary>The conformance suite on Azure.Messaging.ServiceBus 7.21.0 against the Service Bus test broker.</summary>
[Collection(ServiceBusCollection.Name)]
public sealed class ServiceBusConformanceTests : TransportConformanceTests, IAsyncLifetime
{
    private readonly ServiceBusFixture _bus;
    private readonly ServiceBusQueueFactory _factory;

    public ServiceBusConformanceTests(ServiceBusFixture bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        _bus = bus;
        _factory = ServiceBusFixture.CreateFactory(bus.Broker.ConnectionString);
    }

    protected override IMessageQueueFactory Factory => _factory;

    protected override TransportCapabilities Capabilities { get; } = new(CarriesProperties: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    protected override Task<string> NewQueueAsync(TimeSpan? lockDuration = null)
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..20];
        // Service Bus allows up to 2000 deliveries; the suite's polling tests abandon more often than the default 10.
        _bus.Broker.CreateQueue(name, new TestQueueSettings { LockDuration = lockDuration ?? Lock, MaxDeliveryCount = 1000 });
        return Task.FromResult(name);
    }

    protected override string DescribeBroker() => _bus.Broker.Describe();

    protected override async Task RestartBrokerAsync()
    {
        await _bus.Broker.StopAsync();
        _bus.Broker.StartAgain();
    }

    protected override (string Reason, string Body) ReadDeadLetter(InboundMessage message) =>
        (message.ApplicationProperties["DeadLetterReason"], message.Body.ToString());
}
