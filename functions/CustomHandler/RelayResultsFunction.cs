using LdFleet.Functions.RelayResults;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;

namespace LdFleet.Functions.CustomHandler;

/// <summary>
/// The results-queue triggers. A report that was applied, was a duplicate, or named an unknown operation
/// completes (2xx). A failure to apply it now (storage or broker trouble) fails the invocation (503), so the
/// host retries: the queue trigger makes the message visible again and moves it to <c>ldfleet-results-poison</c>
/// after maxDequeueCount; the Service Bus trigger abandons it and the queue dead-letters it after
/// MaxDeliveryCount. A report that can never be applied (not a relay report) is not retried at all: it completes
/// with disposition "invalid" and is logged; on the Storage variant it is also copied to the poison queue, as
/// the self-hosted consumer does, while on Service Bus the log entry is the only trace (the trigger cannot
/// dead-letter from a custom handler).
/// </summary>
internal static class RelayResultsFunction
{
    public static Task<FunctionResult> ServiceBusAsync(FunctionInvocation invocation, IServiceProvider services, CancellationToken cancellationToken) =>
        HandleAsync(invocation, services, "DeliveryCount", poisonCopy: false, cancellationToken);

    public static Task<FunctionResult> StorageQueueAsync(FunctionInvocation invocation, IServiceProvider services, CancellationToken cancellationToken) =>
        HandleAsync(invocation, services, "DequeueCount", poisonCopy: true, cancellationToken);

    private static async Task<FunctionResult> HandleAsync(FunctionInvocation invocation, IServiceProvider services, string deliveryCountKey, bool poisonCopy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var messageId = invocation.MetadataString("MessageId") ?? invocation.MetadataString("Id") ?? "?";
        var deliveries = invocation.MetadataNumber(deliveryCountKey) ?? 1;
        var text = FunctionInvocation.MessageText(invocation.Trigger);
        var disposition = text is null
            ? ReportDisposition.Invalid
            : await services.GetRequiredService<RelayReportHandler>().HandleAsync(BinaryData.FromString(text), cancellationToken);

        var log = $"message {messageId} (delivery {deliveries}): {disposition}";
        if (disposition == ReportDisposition.Invalid && poisonCopy)
        {
            var poison = services.GetRequiredService<IMessageQueueFactory>().OpenDeadLetter(QueueNames.Results);
            var evidence = new { messageId, reason = "The message is not a valid relay report.", deliveryCount = deliveries, body = text ?? invocation.Trigger?.GetRawText() ?? "" };
            await poison.SendAsync(new OutboundMessage(BinaryData.FromObjectAsJson(evidence)), cancellationToken);
            log += $"; copied to {poison.Name}";
        }

        return FunctionResult.Success(new { disposition = disposition.ToString(), messageId }, log);
    }
}
