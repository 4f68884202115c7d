using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace LdFleet.Protocol.Transport.ServiceBus;

/// <summary>
/// Opens Service Bus queues on one <see cref="ServiceBusClient"/> (one AMQP connection). Senders are cached per queue:
/// each one is an AMQP link, and the cloud sends every command of a site through the same one.
/// </summary>
internal sealed class ServiceBusQueueFactory : IMessageQueueFactory, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ServiceBusSender> _senders = new(StringComparer.OrdinalIgnoreCase);

    public ServiceBusQueueFactory(ServiceBusClient client, ServiceBusTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        Client = client;
        Options = options;
    }

    public ServiceBusClient Client { get; }

    public ServiceBusTransportOptions Options { get; }

    public IMessageQueue Open(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new ServiceBusMessageQueue(this, name, SubQueue.None);
    }

    public IMessageQueue OpenDeadLetter(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new ServiceBusMessageQueue(this, name, SubQueue.DeadLetter);
    }

    public ServiceBusSender Sender(string queue) => _senders.GetOrAdd(queue, Client.CreateSender);

    public async ValueTask DisposeAsync()
    {
        foreach (var sender in _senders.Values)
        {
            await sender.DisposeAsync();
        }

        await Client.DisposeAsync();
    }
}
