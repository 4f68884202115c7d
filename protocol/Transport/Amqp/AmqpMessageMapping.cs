using System.Globalization;
using Amqp;
using Amqp.Framing;
using Amqp.Types;

namespace LdFleet.Protocol.Transport.Amqp;

/// <summary>Port messages ↔ AMQP messages, laid out as Service Bus reads them (reference A.5).</summary>
internal static class AmqpMessageMapping
{
    /// <summary>
    /// Application property for the trace context. The Azure SDKs carry the W3C traceparent of the send in
    /// <c>Diagnostic-Id</c>; a plain <c>traceparent</c> property is read too.
    /// </summary>
    public const string DiagnosticIdProperty = "Diagnostic-Id";
    public const string TraceParentProperty = "traceparent";
    public const string DeadLetterReasonProperty = "DeadLetterReason";
    public const string DeadLetterErrorDescriptionProperty = "DeadLetterErrorDescription";

    private static readonly Symbol LockedUntil = new("x-opt-locked-until");
    private static readonly Symbol EnqueuedTime = new("x-opt-enqueued-time");
    private static readonly Symbol LockTokenAnnotation = new("x-opt-lock-token");

    public static Message ToAmqp(OutboundMessage message, TimeProvider time)
    {
        // One Data section: the SDK's normal receive path and the Functions trigger expect Data bodies, while
        // AMQPNetLite's Message(object) would send an amqp-value (reference A.5, "Body — interop tip").
        var amqp = new Message
        {
            BodySection = new Data { Binary = message.Body.ToArray() },
            Header = new Header { Durable = true },
            Properties = new Properties
            {
                MessageId = message.MessageId ?? Guid.NewGuid().ToString("N"),
                CorrelationId = message.CorrelationId,
                ContentType = message.ContentType,
                CreationTime = time.GetUtcNow().UtcDateTime,
            },
        };

        // header.ttl is what Service Bus and RabbitMQ honour; absolute-expiry-time is ignored on input (A.5, B.1).
        if (message.TimeToLive is { } ttl && ttl > TimeSpan.Zero && ttl.TotalMilliseconds < uint.MaxValue)
        {
            amqp.Header.Ttl = (uint)Math.Ceiling(ttl.TotalMilliseconds);
        }

        if (message.ApplicationProperties is { Count: > 0 } || message.TraceParent is not null)
        {
            amqp.ApplicationProperties = new ApplicationProperties();
            foreach (var (key, value) in message.ApplicationProperties ?? new Dictionary<string, string>())
            {
                amqp.ApplicationProperties[key] = value;
            }

            if (message.TraceParent is not null)
            {
                amqp.ApplicationProperties[DiagnosticIdProperty] = message.TraceParent;
            }
        }

        return amqp;
    }

    public static InboundMessage FromAmqp(Message message, AmqpDialect dialect, object transportState)
    {
        var properties = ReadApplicationProperties(message);
        properties.TryGetValue(DiagnosticIdProperty, out var traceParent);
        if (traceParent is null)
        {
            properties.TryGetValue(TraceParentProperty, out traceParent);
        }

        var lockToken = LockTokenOf(message);
        return new InboundMessage(
            message.Properties?.MessageId?.ToString() ?? lockToken,
            BinaryData.FromBytes(BodyOf(message)),
            DeliveryCountOf(message, dialect),
            Annotation<DateTime>(message, EnqueuedTime) is { } enqueued ? new DateTimeOffset(DateTime.SpecifyKind(enqueued, DateTimeKind.Utc)) : CreationTimeOf(message),
            lockToken)
        {
            LockedUntil = Annotation<DateTime>(message, LockedUntil) is { } until ? new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)) : null,
            CorrelationId = message.Properties?.CorrelationId?.ToString(),
            ContentType = message.Properties?.ContentType?.ToString(),
            TraceParent = traceParent,
            ApplicationProperties = properties,
            TransportState = transportState,
        };
    }

    /// <summary>
    /// The Service Bus lock token is the 16-byte delivery tag read as a Guid; <c>x-opt-lock-token</c> may carry
    /// it too but is not guaranteed (reference A.4, "Lock tokens").
    /// </summary>
    public static string LockTokenOf(Message message)
    {
        if (message.DeliveryTag is { Length: 16 } tag)
        {
            return new Guid(tag).ToString();
        }

        if (message.DeliveryAnnotations?.Map is { } annotations && annotations.TryGetValue(LockTokenAnnotation, out var value) && value is Guid token)
        {
            return token.ToString();
        }

        return message.DeliveryTag is { Length: > 0 } other ? Convert.ToHexString(other) : Guid.NewGuid().ToString();
    }

    private static long DeliveryCountOf(Message message, AmqpDialect dialect)
    {
        // header.delivery-count counts earlier deliveries, so this one is count + 1 (as the Service Bus SDK
        // reports it). RabbitMQ 3.10 never fills the count but clears first-acquirer on redelivery
        // (reference B.1, "Delivery count"), so the best it gives is "at least the second time".
        var count = (long)(message.Header?.DeliveryCount ?? 0) + 1;
        if (dialect == AmqpDialect.RabbitMq3 && count == 1 && message.Header is { FirstAcquirer: false })
        {
            return 2;
        }

        return count;
    }

    private static DateTimeOffset? CreationTimeOf(Message message) =>
        message.Properties is { } properties && properties.CreationTime != default
            ? new DateTimeOffset(DateTime.SpecifyKind(properties.CreationTime, DateTimeKind.Utc))
            : null;

    private static byte[] BodyOf(Message message) => message.BodySection switch
    {
        Data data => data.Binary ?? [],
        DataList list => Enumerable.Range(0, list.Count).SelectMany(i => list[i].Binary ?? []).ToArray(),
        AmqpValue { Value: byte[] bytes } => bytes,
        AmqpValue { Value: string text } => System.Text.Encoding.UTF8.GetBytes(text),
        AmqpValue { Value: { } value } => System.Text.Encoding.UTF8.GetBytes(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
        _ => [],
    };

    private static Dictionary<string, string> ReadApplicationProperties(Message message)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (message.ApplicationProperties?.Map is { } map)
        {
            foreach (var (key, value) in map)
            {
                if (key is not null && value is not null)
                {
                    result[key.ToString()!] = value is DateTime when
                        ? when.ToString("O", CultureInfo.InvariantCulture)
                        : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
                }
            }
        }

        return result;
    }

    private static T? Annotation<T>(Message message, Symbol key)
        where T : struct =>
        message.MessageAnnotations?.Map is { } map && map.TryGetValue(key, out var value) && value is T typed ? typed : null;
}
