namespace LdFleet.Protocol.Transport;

/// <summary>The transports LdFleet knows for commands; results always travel on a Storage queue.</summary>
public enum TransportKind
{
    Unknown,
    StorageQueues,
    ServiceBus,
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
