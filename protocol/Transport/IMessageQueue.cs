namespace LdFleet.Protocol.Transport;

/// <summary>
/// The small port both sides use to move messages. Receives are peek-lock: a message stays invisible to
/// other consumers for the lock duration and reappears unless it is completed.
/// </summary>
public interface IMessageQueue
{
    /// <summary>The queue's name.</summary>
    string Name { get; }

    /// <summary>Creates the queue (and its dead-letter queue) if the transport allows and it does not exist.</summary>
    Task EnsureExistsAsync(CancellationToken cancellationToken);

    /// <summary>Sends one message.</summary>
    Task SendAsync(OutboundMessage message, CancellationToken cancellationToken);

    /// <summary>Receives up to <paramref name="maxMessages"/> messages, locking each for <paramref name="lockDuration"/>.</summary>
    Task<IReadOnlyList<InboundMessage>> ReceiveAsync(int maxMessages, TimeSpan lockDuration, CancellationToken cancellationToken);

    /// <summary>Removes a message for good.</summary>
    Task CompleteAsync(InboundMessage message, CancellationToken cancellationToken);

    /// <summary>Gives a message back so it is delivered again after <paramref name="delay"/>.</summary>
    Task AbandonAsync(InboundMessage message, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Moves a message that can never be processed aside, with the reason.</summary>
    Task DeadLetterAsync(InboundMessage message, string reason, CancellationToken cancellationToken);

    /// <summary>Extends the lock of a message still being processed.</summary>
    Task RenewLockAsync(InboundMessage message, TimeSpan lockDuration, CancellationToken cancellationToken);
}

/// <summary>Opens queues by name on one configured transport.</summary>
public interface IMessageQueueFactory
{
    /// <summary>The queue called <paramref name="name"/>.</summary>
    IMessageQueue Open(string name);
}

/// <summary>A message to send.</summary>
/// <param name="Body">The payload; JSON produced by <see cref="Commands.ProtocolJson"/>.</param>
public sealed record OutboundMessage(BinaryData Body)
{
    /// <summary>How long the message may wait unread before the broker drops it; null for the transport default.</summary>
    public TimeSpan? TimeToLive { get; init; }
}

/// <summary>A received, locked message.</summary>
public sealed class InboundMessage
{
    /// <summary>Creates a received message.</summary>
    public InboundMessage(string messageId, BinaryData body, long deliveryCount, DateTimeOffset? enqueuedAt, string lockToken)
    {
        MessageId = messageId;
        Body = body;
        DeliveryCount = deliveryCount;
        EnqueuedAt = enqueuedAt;
        LockToken = lockToken;
    }

    /// <summary>The broker's id of the message.</summary>
    public string MessageId { get; }

    /// <summary>The payload.</summary>
    public BinaryData Body { get; }

    /// <summary>How many times the message has been delivered, this delivery included.</summary>
    public long DeliveryCount { get; }

    /// <summary>When the message was enqueued, if the transport says.</summary>
    public DateTimeOffset? EnqueuedAt { get; }

    /// <summary>The transport's handle on the lock (a pop receipt for Storage Queues); renewing may change it.</summary>
    public string LockToken { get; internal set; }
}
