namespace LdFleet.Protocol.Transport;

/// <summary>The transports LdFleet knows.</summary>
public enum TransportKind
{
    Unknown,
    StorageQueues,
    ServiceBus,

    /// <summary>A plain AMQP 1.0 broker (RabbitMQ 3.10 with the amqp1_0 plugin), the local stand-in for Service Bus.</summary>
    Amqp,
}

/// <summary>Tells transports apart by their connection strings, so one setting picks the transport.</summary>
public static class TransportKinds
{
    public static TransportKind Detect(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return TransportKind.Unknown;
        }

        var trimmed = connectionString.Trim();
        if (trimmed.StartsWith("amqp://", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("amqps://", StringComparison.OrdinalIgnoreCase))
        {
            return TransportKind.Amqp;
        }

        var keys = connectionString
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2)[0])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        if (keys.Contains("Endpoint") && connectionString.Contains("sb://", StringComparison.OrdinalIgnoreCase))
        {
            return TransportKind.ServiceBus;
        }

        if (keys.Contains("UseDevelopmentStorage") || keys.Contains("QueueEndpoint") || keys.Contains("AccountName"))
        {
            return TransportKind.StorageQueues;
        }

        return TransportKind.Unknown;
    }
}
