using System.Globalization;
using Azure.Messaging.ServiceBus;

namespace LdFleet.Protocol.Transport.ServiceBus;

/// <summary>
/// One Service Bus queue (or its dead-letter sub-queue) behind the port. Receives are peek-lock on a receiver this
/// instance owns (two instances compete like two consumers); <see cref="ConsumeAsync"/> runs a
/// <see cref="ServiceBusProcessor"/>. Lock durations are the queue's; the SDK renews and settles by lock token.
/// </summary>
internal sealed class ServiceBusMessageQueue : IMessageQueue, IAsyncDisposable
{
    /// <summary>The application property the Azure SDKs carry the sender's W3C traceparent in.</summary>
    internal const string DiagnosticIdProperty = "Diagnostic-Id";

    private readonly ServiceBusQueueFactory _factory;
    private readonly SubQueue _subQueue;
    private readonly Lock _gate = new();
    private ServiceBusReceiver? _receiver;

    public ServiceBusMessageQueue(ServiceBusQueueFactory factory, string name, SubQueue subQueue)
    {
        _factory = factory;
        Name = name;
        _subQueue = subQueue;
    }

    public string Name { get; }

    public bool ReceiveWaits => true;

    public async Task EnsureExistsAsync(CancellationToken cancellationToken)
    {
        // Without management rights a client cannot create or list queues (infra/ declares them); attaching a link proves
        // the queue is there: a sender for whoever may send, a peek for a listener (a relay holds Listen only).
        try
        {
            try
            {
                using var probe = await _factory.Sender(Name).CreateMessageBatchAsync(cancellationToken);
            }
            catch (UnauthorizedAccessException)
            {
                await Receiver().PeekMessageAsync(cancellationToken: cancellationToken);
            }
        }
        catch (ServiceBusException ex) when (ex.Reason == ServiceBusFailureReason.MessagingEntityNotFound)
        {
            throw new InvalidOperationException($"Queue '{Name}' does not exist in Service Bus namespace {_factory.Client.FullyQualifiedNamespace}: create it with the infrastructure templates (infra/modules/servicebus.bicep).", ex);
        }
    }

    public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _factory.Sender(Name).SendMessageAsync(ToServiceBus(message), cancellationToken);
    }

    public async Task SendBatchAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var sender = _factory.Sender(Name);
        var pending = new Queue<ServiceBusMessage>(messages.Select(ToServiceBus));
        while (pending.Count > 0)
        {
            // One transfer per batch, as large as the link's advertised message size allows.
            using var batch = await sender.CreateMessageBatchAsync(cancellationToken);
            while (pending.Count > 0 && batch.TryAddMessage(pending.Peek()))
            {
                pending.Dequeue();
            }

            if (batch.Count == 0)
            {
                // Too big for any batch: a single send reports the size limit clearly.
                await sender.SendMessageAsync(pending.Dequeue(), cancellationToken);
                continue;
            }

            await sender.SendMessagesAsync(batch, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<InboundMessage>> ReceiveAsync(int maxMessages, TimeSpan lockDuration, CancellationToken cancellationToken)
    {
        var receiver = Receiver();
        var received = await receiver.ReceiveMessagesAsync(Math.Max(1, maxMessages), _factory.Options.ReceiveWaitTime, cancellationToken);
        return [.. received.Select(m => ToInbound(m, new Settler(receiver, null)))];
    }

    public Task CompleteAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        var delivery = DeliveryOf(message);
        return delivery.TrySettle() ? delivery.Settler.CompleteAsync(delivery.Message, cancellationToken) : Task.CompletedTask;
    }

    public async Task AbandonAsync(InboundMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        var delivery = DeliveryOf(message);
        if (delay > TimeSpan.Zero)
        {
            // Service Bus has no "visible again after": keep the lock for the delay (never past it, leaving a second
            // for the abandon itself), then give the message back.
            var hold = delivery.Message.LockedUntil - DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1);
            if (hold > TimeSpan.Zero)
            {
                await Task.Delay(delay < hold ? delay : hold, cancellationToken);
            }
        }

        if (delivery.TrySettle())
        {
            await delivery.Settler.AbandonAsync(delivery.Message, CancellationToken.None);
        }
    }

    public Task DeadLetterAsync(InboundMessage message, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var delivery = DeliveryOf(message);
        if (!delivery.TrySettle())
        {
            return Task.CompletedTask;
        }

        // Service Bus caps the reason and description at 4 KiB each.
        var description = string.Create(CultureInfo.InvariantCulture, $"Dead-lettered after {message.DeliveryCount} deliveries.");
        return delivery.Settler.DeadLetterAsync(delivery.Message, reason.Length > 4096 ? reason[..4096] : reason, description, cancellationToken);
    }

    public async Task RenewLockAsync(InboundMessage message, TimeSpan lockDuration, CancellationToken cancellationToken)
    {
        var delivery = DeliveryOf(message);
        message.LockedUntil = await delivery.Settler.RenewAsync(delivery.Message, cancellationToken);
    }

    public async Task ConsumeAsync(ConsumeOptions options, Func<InboundMessage, CancellationToken, Task> handler, Func<Exception, Task> onError, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(onError);
        var processor = _factory.Client.CreateProcessor(Name, new ServiceBusProcessorOptions
        {
            ReceiveMode = ServiceBusReceiveMode.PeekLock,
            SubQueue = _subQueue,
            MaxConcurrentCalls = options.MaxConcurrency,
            PrefetchCount = options.PrefetchCount,

            // The handler settles every message itself, after its work is recorded, and renews the lock while the work
            // runs (for as long as that work may take), so the processor does neither.
            AutoCompleteMessages = false,
            MaxAutoLockRenewalDuration = TimeSpan.Zero,
        });
        processor.ProcessMessageAsync += args => handler(ToInbound(args.Message, new Settler(null, args)), args.CancellationToken);
        processor.ProcessErrorAsync += args => onError(args.Exception);
        await processor.StartProcessingAsync(stoppingToken);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Stops receiving, signals the handlers' token and waits for them to give their messages back. Closing its links
        // can fail when the connection is already gone; that loses nothing (locks lapse), so it is reported, not thrown.
        try
        {
            await processor.StopProcessingAsync(CancellationToken.None);
            await processor.DisposeAsync();
        }
        catch (Exception ex) when (ex is ServiceBusException or TimeoutException or ObjectDisposedException)
        {
            await onError(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        ServiceBusReceiver? receiver;
        lock (_gate)
        {
            receiver = _receiver;
            _receiver = null;
        }

        if (receiver is not null)
        {
            await receiver.DisposeAsync();
        }
    }

    internal static ServiceBusMessage ToServiceBus(OutboundMessage message)
    {
        var sb = new ServiceBusMessage(message.Body)
        {
            // Fixed before the first attempt, so the SDK's retries after an unknown outcome carry the same id
            // (duplicate detection, where the queue has it on).
            MessageId = message.MessageId ?? Guid.NewGuid().ToString("N"),
            CorrelationId = message.CorrelationId,
            ContentType = message.ContentType,
        };
        if (message.TimeToLive is { } ttl)
        {
            sb.TimeToLive = ttl;
        }

        foreach (var (key, value) in message.ApplicationProperties ?? new Dictionary<string, string>())
        {
            sb.ApplicationProperties[key] = value;
        }

        if (message.TraceParent is not null)
        {
            sb.ApplicationProperties[DiagnosticIdProperty] = message.TraceParent;
        }

        return sb;
    }

    private static InboundMessage ToInbound(ServiceBusReceivedMessage message, Settler settler)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        string? traceParent = null;
        foreach (var (key, value) in message.ApplicationProperties)
        {
            var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            if (key == DiagnosticIdProperty)
            {
                traceParent = text;
                continue;
            }

            properties[key] = text;
        }

        return new InboundMessage(message.MessageId, message.Body, message.DeliveryCount, message.EnqueuedTime == default ? null : message.EnqueuedTime, message.LockToken)
        {
            LockedUntil = message.LockedUntil == default ? null : message.LockedUntil,
            CorrelationId = message.CorrelationId,
            ContentType = message.ContentType,
            TraceParent = traceParent,
            ApplicationProperties = properties,
            TransportState = new Delivery(message, settler),
        };
    }

    private ServiceBusReceiver Receiver()
    {
        lock (_gate)
        {
            // No prefetch: a message is locked only when asked for, so nothing waits locked in memory.
            return _receiver ??= _factory.Client.CreateReceiver(Name, new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.PeekLock, SubQueue = _subQueue, PrefetchCount = 0 });
        }
    }

    private static Delivery DeliveryOf(InboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.TransportState as Delivery ?? throw new ArgumentException("The message was not received from a Service Bus queue.", nameof(message));
    }

    /// <summary>What settled a message: a receiver, or the processor's event args (which settle through its receiver).</summary>
    private sealed class Settler(ServiceBusReceiver? receiver, ProcessMessageEventArgs? args)
    {
        public Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken) =>
            args?.CompleteMessageAsync(message, cancellationToken) ?? receiver!.CompleteMessageAsync(message, cancellationToken);

        public Task AbandonAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken) =>
            args?.AbandonMessageAsync(message, null, cancellationToken) ?? receiver!.AbandonMessageAsync(message, null, cancellationToken);

        public Task DeadLetterAsync(ServiceBusReceivedMessage message, string reason, string description, CancellationToken cancellationToken) =>
            args?.DeadLetterMessageAsync(message, reason, description, cancellationToken) ?? receiver!.DeadLetterMessageAsync(message, reason, description, cancellationToken);

        public async Task<DateTimeOffset> RenewAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken)
        {
            if (args is not null)
            {
                await args.RenewMessageLockAsync(message, cancellationToken);
                return message.LockedUntil;
            }

            await receiver!.RenewMessageLockAsync(message, cancellationToken);
            return message.LockedUntil;
        }
    }

    /// <summary>A received message and who settles it; settling twice is harmless, as on Storage Queues.</summary>
    private sealed class Delivery(ServiceBusReceivedMessage message, Settler settler)
    {
        private int _settled;

        public ServiceBusReceivedMessage Message { get; } = message;

        public Settler Settler { get; } = settler;

        public bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;
    }
}
