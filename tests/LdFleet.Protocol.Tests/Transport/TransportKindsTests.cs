using LdFleet.Protocol.Transport;

namespace LdFleet.Protocol.Tests.Transport;

public sealed class TransportKindsTests
{
    [Theory]
    [InlineData("UseDevelopmentStorage=true", TransportKind.StorageQueues)]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=x;AccountKey=eQ==;EndpointSuffix=core.windows.net", TransportKind.StorageQueues)]
    [InlineData("QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;AccountName=devstoreaccount1", TransportKind.StorageQueues)]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=relay;SharedAccessKey=abc", TransportKind.ServiceBus)]
    [InlineData("Endpoint=sb://127.0.0.1:5672/;SharedAccessKeyName=k;SharedAccessKey=abc;UseDevelopmentEmulator=true", TransportKind.ServiceBus)]
    [InlineData("amqp://guest:guest@127.0.0.1:5673", TransportKind.Unknown)]
    [InlineData("", TransportKind.Unknown)]
    [InlineData("hello", TransportKind.Unknown)]
    [InlineData(null, TransportKind.Unknown)]
    public void Detect_RecognisesConnectionStrings(string? connectionString, TransportKind expected) =>
        Assert.Equal(expected, TransportKinds.Detect(connectionString));
}
