using System.Text.Json;
using Azure.Storage.Queues;
using LdFleet.Protocol.Transport;

namespace LdFleet.Protocol.Tests.Transport.Conformance;

/// <summary>The conformance suite against Storage Queues on a real Azurite.</summary>
public sealed class StorageQueueConformanceTests : TransportConformanceTests, IClassFixture<AzuriteFixture>
{
    public StorageQueueConformanceTests(AzuriteFixture azurite)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        Factory = new StorageQueueFactory(new QueueServiceClient(azurite.Server.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }));
    }

    protected override IMessageQueueFactory Factory { get; }

    // Storage Queue messages are a body and nothing else; the service picks the message id.
    protected override TransportCapabilities Capabilities { get; } = new(CarriesProperties: false, ExactDeliveryCount: true);

    protected override async Task<string> NewQueueAsync()
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
