using Azure;
using Azure.Messaging.ServiceBus;

namespace LdFleet.Protocol.Transport;

/// <summary>Classifies transport failures the same way on Storage Queues and Service Bus.</summary>
public static class TransportErrors
{
    /// <summary>The queue does not exist (yet): Storage <c>QueueNotFound</c>, Service Bus <c>MessagingEntityNotFound</c>.</summary>
    public static bool IsQueueMissing(Exception exception) => exception switch
    {
        RequestFailedException { Status: 404 } storage => storage.ErrorCode is null or "QueueNotFound",
        ServiceBusException { Reason: ServiceBusFailureReason.MessagingEntityNotFound } => true,
        InvalidOperationException { InnerException: { } inner } => IsQueueMissing(inner),
        _ => false,
    };

    /// <summary>One line for a log: the error code and the first line of the message, no stack trace, no URL.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var first = exception.Message.Split('\n', 2)[0].Trim();
        return exception switch
        {
            RequestFailedException storage => $"{storage.Status} {storage.ErrorCode}",
            ServiceBusException serviceBus => $"{serviceBus.Reason}: {first}",
            _ => first,
        };
    }
}
