using System.Text.Json;
using LdFleet.Testing;
using Azure.Storage.Queues;
using LdFleet.Protocol.Transport;

namespace LdFleet.Protocol.Tests.Transport.Conformance;

/// <summary>An Azurite that keeps its data on disk, so the conformance suite can restart it.</summary>
public sealed class PersistentAzuriteFixture : IAsyncLifetime
{
    public AzuriteServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await AzuriteServer.StartAsync(persistent: true);

    public Task DisposeAsync() => Server.DisposeAsync().AsTask();
}

/// <summary>The conformance suite against Storage Queues on a real Azurite.</summary>
public sealed class StorageQueueConformanceTests : TransportConformanceTests, IClassFixture<PersistentAzuriteFixture>
{
    private readonly PersistentAzuriteFixture _azurite;

    public StorageQueueConformanceTests(PersistentAzuriteFixture azurite)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        _azurite = azurite;
        Factory = new StorageQueueFactory(new QueueServiceClient(azurite.Server.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }));
    }

    protected override IMessageQueueFactory Factory { get; }

    // Storage Queue messages are a body and nothing else; the service picks the message id.
    protected override TransportCapabilities Capabilities { get; } = new(CarriesProperties: false);

    protected override async Task RestartBrokerAsync()
    {
        await _azurite.Server.StopAsync();
        await _azurite.Server.StartAgainAsync();
    }

    protected override async Task<string> NewQueueAsync(TimeSpan? lockDuration = null)
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..20];
        await Factory.Open(name).EnsureExistsAsync(default);
        return name;
    }

    protected override (string Reason, string Body) ReadDeadLetter(InboundMessage message)
    {
        using var envelope = JsonDocument.Parse(message.Body.ToString());
        return (envelope.RootElement.GetProperty("reason").GetString()!, envelope.RootElement.GetProperty("body").GetString()!);
    }
}
