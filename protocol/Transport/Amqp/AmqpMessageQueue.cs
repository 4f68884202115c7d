using Amqp;
using Amqp.Framing;
using Amqp.Types;
using Microsoft.Extensions.Logging;

namespace LdFleet.Protocol.Transport.Amqp;

/// <summary>Opens queues on one AMQP 1.0 connection (Service Bus, or RabbitMQ 3.10 as the local stand-in).</summary>
internal sealed class AmqpMessageQueueFactory : IMessageQueueFactory, IAsyncDisposable
{
    // RabbitMQ has no dead-letter sub-queue: the harness (and infra) declares "<queue>-poison" as the DLX target,
    // the same name the Storage Queues transport uses.
    internal const string RabbitMqDeadLetterSuffix = "-poison";
    internal const string ServiceBusDeadLetterSuffix = "/$deadletterqueue";

    private readonly AmqpConnectionScope _scope;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public AmqpMessageQueueFactory(AmqpConnectionScope scope, TimeProvider time, ILogger<AmqpMessageQueueFactory> logger)
    {
        ArgumentNullException.ThrowIfNull(scope);
        _scope = scope;
        _time = time;
        _logger = logger;
    }

    public IMessageQueue Open(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var deadLetter = _scope.Endpoint.Dialect == AmqpDialect.RabbitMq3 ? name + RabbitMqDeadLetterSuffix : null;
        return new AmqpMessageQueue(_scope, name, deadLetter, _time, _logger);
    }

    public IMessageQueue OpenDeadLetter(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);

        // A dead-letter queue has no dead-letter queue of its own (reference A.3, "Dead-letter sub-queue").
        var path = _scope.Endpoint.Dialect == AmqpDialect.RabbitMq3 ? name + RabbitMqDeadLetterSuffix : name + ServiceBusDeadLetterSuffix;
        return new AmqpMessageQueue(_scope, path, deadLetterPath: null, _time, _logger);
    }

    public ValueTask DisposeAsync() => _scope.DisposeAsync();
}

/// <summary>
/// One queue over AMQP 1.0. Each instance owns one receiver link (so two instances compete like two
/// consumers); sender links and the connection are shared through <see cref="AmqpConnectionScope"/>.
/// </summary>
internal sealed partial class AmqpMessageQueue : IMessageQueue
{
    private const int MaxCredit = 1000;
    private const int MaxReasonLength = 4096;
    private static readonly TimeSpan MaxServerBusyBackoff = TimeSpan.FromMinutes(1);

    private readonly AmqpConnectionScope _scope;
    private readonly string _entityPath;
    private readonly string _address;
    private readonly string? _deadLetterPath;
    private readonly AmqpDialect _dialect;
    private readonly AmqpTransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _receiveGate = new(1, 1);

    private ReceiverLink? _receiver;
    private long _granted;
    private long _taken;
    private DateTimeOffset _busyUntil;

    public AmqpMessageQueue(AmqpConnectionScope scope, string entityPath, string? deadLetterPath, TimeProvider time, ILogger logger)
    {
        _scope = scope;
        _entityPath = entityPath;
        _dialect = scope.Endpoint.Dialect;
        _address = AddressOf(_dialect, entityPath);
        _deadLetterPath = deadLetterPath;
        _options = scope.Options;
        _time = time;
        _logger = logger;
    }

    public string Name => _entityPath;

    public bool ReceiveWaits => true;

    public async Task EnsureExistsAsync(CancellationToken cancellationToken)
    {
        // Neither broker lets an AMQP 1.0 client create a queue: Service Bus entities come from infra/ and
        // RabbitMQ 3.10 queues from definitions (reference B.1, "addresses that declare queues"). Attaching a
        // sender proves the queue is there.
        await CheckExistsAsync(_entityPath, _address, cancellationToken);
        if (_deadLetterPath is not null)
        {
            await CheckExistsAsync(_deadLetterPath, AddressOf(_dialect, _deadLetterPath), cancellationToken);
        }
    }

    public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);

        // Fix the id before the first attempt so a resend after an unknown outcome can be de-duplicated.
        return SendWithRetryAsync(_entityPath, _address, WithId(message), firstAttempt: 1, cancellationToken);
    }

    public async Task SendBatchAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        // All transfers go out on one link without waiting for each outcome; the link's credit paces them
        // (reference A.6, "Batching on send": the simpler approach). The Service Bus batch format 0x80013700
        // is not used because RabbitMQ would take the whole batch as one opaque message.
        var prepared = messages.Select(WithId).ToArray();
        var sender = await _scope.GetSenderAsync(_entityPath, _address, cancellationToken);
        var sends = prepared.Select(m => sender.SendAsync(AmqpMessageMapping.ToAmqp(m, _time), _options.OperationTimeout)).ToArray();
        try
        {
            await Task.WhenAll(sends).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is AmqpException or TimeoutException or ObjectDisposedException)
        {
            // Resend only what failed, one by one with the usual retry policy.
            for (var i = 0; i < sends.Length; i++)
            {
                if (!sends[i].IsCompletedSuccessfully)
                {
                    await SendWithRetryAsync(_entityPath, _address, prepared[i], firstAttempt: 2, cancellationToken);
                }
            }
        }
    }

    public async Task<IReadOnlyList<InboundMessage>> ReceiveAsync(int maxMessages, TimeSpan lockDuration, CancellationToken cancellationToken)
    {
        var wanted = Math.Clamp(maxMessages, 1, MaxCredit);
        await _receiveGate.WaitAsync(cancellationToken);
        try
        {
            await WaitOutServerBusyAsync(cancellationToken);
            var receiver = await GetReceiverAsync(cancellationToken);

            // Manual credit keeps what the broker may push us (locked) at what was asked for plus the bounded
            // prefetch; AMQPNetLite would otherwise grant 200 on the first receive (reference A.4 "Locking and
            // credit"). Credit not used up stays granted for the next call: granted − taken is both in flight
            // and already buffered in the link.
            var window = Math.Min(wanted + _options.PrefetchCount, MaxCredit);
            var outstanding = _granted - _taken;
            if (window > outstanding)
            {
                receiver.SetCredit((int)(window - outstanding), CreditMode.Manual);
                _granted += window - outstanding;
            }

            var received = new List<InboundMessage>(wanted);
            var next = await ReceiveFirstAsync(receiver, cancellationToken);
            while (next is not null)
            {
                _taken++;
                var inbound = AmqpMessageMapping.FromAmqp(next, _dialect, new AmqpDelivery(receiver, next));
                if (inbound.LockedUntil is { } until && until <= _time.GetUtcNow())
                {
                    // Waited in the buffer until its lock lapsed; Service Bus has already made it available again.
                    LogLockExpiredInBuffer(_logger, _entityPath, inbound.MessageId);
                }
                else
                {
                    received.Add(inbound);
                }

                if (received.Count >= wanted)
                {
                    break;
                }

                // Only what is already buffered. The synchronous call with zero wait returns at once; the async
                // overload's task never completes for zero when nothing is buffered (AMQPNetLite 2.5.5).
                next = receiver.Receive(TimeSpan.Zero);
            }

            return received;
        }
        catch (AmqpException ex)
        {
            NoteFailure(ex.Error);
            await ResetReceiverAsync();
            throw;
        }
        finally
        {
            _receiveGate.Release();
        }
    }

    public Task CompleteAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        var delivery = DeliveryOf(message);
        if (delivery.IsSettled)
        {
            return Task.CompletedTask;
        }

        EnsureOpen(delivery);
        if (delivery.TrySettle())
        {
            delivery.Link.Accept(delivery.Message);
        }

        return Task.CompletedTask;
    }

    public Task AbandonAsync(InboundMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        var delivery = DeliveryOf(message);
        if (delay > TimeSpan.Zero)
        {
            // AMQP has no "visible again after": keep the lock for the delay, then give the message back. On
            // Service Bus a delay past the queue's lock duration ends in a lock expiry instead (same effect).
            _ = AbandonLaterAsync(delivery, delay);
            return Task.CompletedTask;
        }

        Abandon(delivery);
        return Task.CompletedTask;
    }

    public async Task DeadLetterAsync(InboundMessage message, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var delivery = DeliveryOf(message);
        EnsureOpen(delivery);
        reason = reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason;
        var description = $"Dead-lettered by {_scope.ContainerId} after {message.DeliveryCount.ToString(System.Globalization.CultureInfo.InvariantCulture)} deliveries.";

        if (_dialect == AmqpDialect.ServiceBus)
        {
            // Reference A.4, "Settlement mapping": rejected with com.microsoft:dead-letter and the reason in the
            // error info; Service Bus copies it into the dead-lettered message's properties.
            var error = new Error(new Symbol(AmqpConditions.DeadLetter))
            {
                Description = reason,
                Info = new Fields
                {
                    [new Symbol(AmqpMessageMapping.DeadLetterReasonProperty)] = reason,
                    [new Symbol(AmqpMessageMapping.DeadLetterErrorDescriptionProperty)] = description,
                },
            };
            if (delivery.TrySettle())
            {
                delivery.Link.Reject(delivery.Message, error);
            }

            return;
        }

        if (_deadLetterPath is null)
        {
            throw new InvalidOperationException($"{_entityPath} is a dead-letter queue; its messages cannot be dead-lettered again.");
        }

        // RabbitMQ 3.10 ignores the error on rejected (reference B.1, "Dispositions"), so the reason would be
        // lost: publish a copy with the reason to the dead-letter queue, then accept the original. A crash in
        // between leaves a duplicate in the dead-letter queue, never a lost message.
        var copy = new Message
        {
            BodySection = delivery.Message.BodySection,
            Header = new Header { Durable = true },
            Properties = delivery.Message.Properties,
            ApplicationProperties = new ApplicationProperties(),
        };
        foreach (var (key, value) in message.ApplicationProperties)
        {
            copy.ApplicationProperties[key] = value;
        }

        copy.ApplicationProperties[AmqpMessageMapping.DeadLetterReasonProperty] = reason;
        copy.ApplicationProperties[AmqpMessageMapping.DeadLetterErrorDescriptionProperty] = description;
        var sender = await _scope.GetSenderAsync(_deadLetterPath, AddressOf(_dialect, _deadLetterPath), cancellationToken);
        await sender.SendAsync(copy, _options.OperationTimeout).WaitAsync(cancellationToken);
        if (delivery.TrySettle())
        {
            delivery.Link.Accept(delivery.Message);
        }
    }

    public async Task RenewLockAsync(InboundMessage message, TimeSpan lockDuration, CancellationToken cancellationToken)
    {
        var delivery = DeliveryOf(message);
        EnsureOpen(delivery);
        if (_dialect == AmqpDialect.RabbitMq3)
        {
            // Deliberately a no-op: RabbitMQ 3.10 has no lock duration, an unsettled delivery stays with this
            // link until it is settled or the link closes (reference B.1, "Not supported in 3.10"), so there is
            // nothing to renew. Throwing instead would make every lock-renewing consumer log failures.
            return;
        }

        // Reference A.4, "Renew lock": a $management request with the lock token(s) and the receive link's name.
        var request = new Message
        {
            BodySection = new AmqpValue { Value = new Map { ["lock-tokens"] = new[] { Guid.Parse(message.LockToken) } } },
            ApplicationProperties = new ApplicationProperties
            {
                ["operation"] = "com.microsoft:renew-lock",
                ["com.microsoft:server-timeout"] = (uint)_options.OperationTimeout.TotalMilliseconds,
                ["associated-link-name"] = delivery.Link.Name,
            },
        };
        var response = await _scope.RequestAsync(_entityPath + "/$management", request, cancellationToken);
        var status = Convert.ToInt32(response.ApplicationProperties?["statusCode"] ?? 0, System.Globalization.CultureInfo.InvariantCulture);
        if (status != 200)
        {
            var description = response.ApplicationProperties?["statusDescription"]?.ToString();
            throw new InvalidOperationException($"Renewing the lock of message {message.MessageId} on {_entityPath} failed: {status} {description}");
        }

        if (response.Body is Map body && body["expirations"] is DateTime[] { Length: > 0 } expirations)
        {
            message.LockedUntil = new DateTimeOffset(DateTime.SpecifyKind(expirations[0], DateTimeKind.Utc));
        }
    }

    private static string AddressOf(AmqpDialect dialect, string entityPath) =>

        // RabbitMQ: /amq/queue/<name> uses an existing queue and declares nothing; /queue/<name> and a bare
        // name would try to declare it and fail against our durable quorum queues (reference B.1, "Gotcha").
        dialect == AmqpDialect.RabbitMq3 ? "/amq/queue/" + entityPath : entityPath;

    private static AmqpDelivery DeliveryOf(InboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.TransportState as AmqpDelivery
            ?? throw new ArgumentException("The message was not received from an AMQP queue.", nameof(message));
    }

    private static void EnsureOpen(AmqpDelivery delivery)
    {
        if (delivery.Link.IsClosed || delivery.Link.Session.IsClosed)
        {
            // Link recovery is not supported: a dropped link loses its unsettled deliveries and the broker
            // redelivers them (reference A.1, "Link recovery is not supported").
            throw new InvalidOperationException("The message's lock is lost: the link it arrived on has closed, and the broker will deliver it again.");
        }
    }

    private void Abandon(AmqpDelivery delivery)
    {
        EnsureOpen(delivery);
        if (!delivery.TrySettle())
        {
            return;
        }

        // Service Bus: modified without delivery-failed, as the SDK abandons (reference A.4). RabbitMQ 3.10 ends
        // the session on modified, so there it is released (reference B.1, "Dispositions").
        if (_dialect == AmqpDialect.ServiceBus)
        {
            delivery.Link.Modify(delivery.Message, deliveryFailed: false, undeliverableHere: false);
        }
        else
        {
            delivery.Link.Release(delivery.Message);
        }
    }

    private async Task AbandonLaterAsync(AmqpDelivery delivery, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time);
            Abandon(delivery);
        }
        catch (Exception ex) when (ex is InvalidOperationException or AmqpException or ObjectDisposedException)
        {
            // The link went away meanwhile, which gives the message back anyway.
            LogDelayedAbandonFailed(_logger, ex, _entityPath);
        }
    }

    private static OutboundMessage WithId(OutboundMessage message) =>
        message.MessageId is null ? message with { MessageId = Guid.NewGuid().ToString("N") } : message;

    private async Task SendWithRetryAsync(string entityPath, string address, OutboundMessage message, int firstAttempt, CancellationToken cancellationToken)
    {
        for (var attempt = firstAttempt; ; attempt++)
        {
            try
            {
                await WaitOutServerBusyAsync(cancellationToken);
                var sender = await _scope.GetSenderAsync(entityPath, address, cancellationToken);
                await sender.SendAsync(AmqpMessageMapping.ToAmqp(message, _time), _options.OperationTimeout).WaitAsync(cancellationToken);
                return;
            }
            catch (AmqpException ex) when (attempt < _options.MaxSendAttempts && AmqpLinks.IsTransient(ex.Error))
            {
                NoteFailure(ex.Error);
                LogSendRetry(_logger, entityPath, attempt, AmqpLinks.Describe(ex.Error));
            }
            catch (TimeoutException) when (attempt < _options.MaxSendAttempts)
            {
                LogSendRetry(_logger, entityPath, attempt, "timeout");
            }
        }
    }

    private void NoteFailure(Error? error)
    {
        if (error?.Condition?.ToString() == AmqpConditions.ServerBusy)
        {
            // Wait at least the base back-off, doubling with full jitter while the broker stays busy
            // (reference A.6, "Back-off").
            var now = _time.GetUtcNow();
            var previous = _busyUntil > now ? _busyUntil - now : TimeSpan.Zero;
            var cap = TimeSpan.FromTicks(Math.Min(Math.Max(_options.ServerBusyBackoff.Ticks, previous.Ticks * 2), MaxServerBusyBackoff.Ticks));
            var wait = _options.ServerBusyBackoff + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * (cap - _options.ServerBusyBackoff).Ticks));
            _busyUntil = now + wait;
            LogServerBusy(_logger, _entityPath, wait);
        }
    }

    private async Task WaitOutServerBusyAsync(CancellationToken cancellationToken)
    {
        var wait = _busyUntil - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken);
        }
    }

    private async Task<Message?> ReceiveFirstAsync(ReceiverLink receiver, CancellationToken cancellationToken)
    {
        try
        {
            return await receiver.ReceiveAsync(_options.ReceiveWaitTime).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The abandoned wait could still swallow a message; closing the link gives everything unsettled
            // back to the broker, and the next receive attaches a new one.
            await ResetReceiverAsync();
            throw;
        }
    }

    private async Task<ReceiverLink> GetReceiverAsync(CancellationToken cancellationToken)
    {
        if (_receiver is { IsClosed: false } current && !current.Session.IsClosed)
        {
            return current;
        }

        if (_receiver is { Error: var error } && error is not null)
        {
            NoteFailure(error);
            LogReceiverLost(_logger, _entityPath, AmqpLinks.Describe(error));
        }

        var (session, _) = await _scope.GetSessionAsync(cancellationToken);
        await _scope.AuthorizeAsync(_entityPath, cancellationToken);

        // Peek-lock with AMQPNetLite's default attach: receiver settles first and dispositions go out settled,
        // the pattern the Service Bus samples use (reference A.4, "Modes"). The SDK's rcv-settle-mode=second
        // cannot be honoured because ReceiverLink always settles on dispose.
        var link = await AmqpLinks.AttachReceiverAsync(
            session, $"{_scope.ContainerId}-receive-{_entityPath}-{Guid.NewGuid():N}", new Source { Address = _address }, new Target(), _options.OperationTimeout, cancellationToken);
        _receiver = link;
        _granted = 0;
        _taken = 0;
        return link;
    }

    private async Task ResetReceiverAsync()
    {
        var receiver = _receiver;
        _receiver = null;
        if (receiver is not null && !receiver.IsClosed)
        {
            try
            {
                await receiver.CloseAsync(TimeSpan.FromSeconds(5), null);
            }
            catch (Exception ex) when (ex is AmqpException or TimeoutException or ObjectDisposedException)
            {
                LogReceiverLost(_logger, _entityPath, ex.Message);
            }
        }
    }

    private async Task CheckExistsAsync(string entityPath, string address, CancellationToken cancellationToken)
    {
        try
        {
            if (_dialect == AmqpDialect.RabbitMq3)
            {
                // RabbitMQ accepts a sender to /amq/queue/<missing> and drops what it publishes there, so only a
                // consumer proves the queue exists: attach one without credit (nothing is delivered) and close it.
                var (session, _) = await _scope.GetSessionAsync(cancellationToken);
                var probe = await AmqpLinks.AttachReceiverAsync(
                    session, $"{_scope.ContainerId}-probe-{entityPath}-{Guid.NewGuid():N}", new Source { Address = address }, new Target(), _options.OperationTimeout, cancellationToken);
                await probe.CloseAsync(TimeSpan.Zero, null).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                return;
            }

            await _scope.GetSenderAsync(entityPath, address, cancellationToken);
        }
        catch (AmqpException ex) when (_dialect == AmqpDialect.RabbitMq3 || ex.Error?.Condition?.ToString() == ErrorCode.NotFound)
        {
            var hint = _dialect == AmqpDialect.RabbitMq3
                ? "declare it in the broker's definitions (RabbitMQ 3.10 cannot create queues over AMQP 1.0)"
                : "create it with the infrastructure templates (infra/)";
            throw new InvalidOperationException($"Queue '{entityPath}' does not exist on {_scope.Endpoint}: {hint}. Broker said: {AmqpLinks.Describe(ex.Error)}", ex);
        }
    }

    [LoggerMessage(EventId = 1211, Level = LogLevel.Warning, Message = "{Queue}: broker is busy; pausing {Wait} before the next operation")]
    private static partial void LogServerBusy(ILogger logger, string queue, TimeSpan wait);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Warning, Message = "{Queue}: send attempt {Attempt} failed ({Reason}); retrying")]
    private static partial void LogSendRetry(ILogger logger, string queue, int attempt, string reason);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Warning, Message = "{Queue}: receiver link lost ({Reason}); it is attached again on next receive")]
    private static partial void LogReceiverLost(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 1214, Level = LogLevel.Debug, Message = "{Queue}: delayed abandon found the link gone; the broker redelivers the message")]
    private static partial void LogDelayedAbandonFailed(ILogger logger, Exception exception, string queue);

    [LoggerMessage(EventId = 1215, Level = LogLevel.Debug, Message = "{Queue}: message {MessageId} waited in the prefetch buffer past its lock; skipped")]
    private static partial void LogLockExpiredInBuffer(ILogger logger, string queue, string messageId);

    /// <summary>What settling a received message needs: the link it came on and AMQPNetLite's message.</summary>
    private sealed class AmqpDelivery(ReceiverLink link, Message message)
    {
        private int _settled;

        public ReceiverLink Link { get; } = link;

        public Message Message { get; } = message;

        public bool IsSettled => Volatile.Read(ref _settled) == 1;

        /// <summary>True the first time only, so completing twice is harmless as on Storage Queues.</summary>
        public bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;
    }
}
