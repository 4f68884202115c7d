namespace LdFleet.Protocol.Transport;

/// <summary>
/// The small port both sides use to move messages. Receives are peek-lock: a message stays invisible to
/// other consumers for the lock duration and reappears unless it is completed.
/// </summary>
public interface IMessageQueue
{
    /// <summary>The queue's name.</summary>
    string Name { get; }

    /// <summary>
    /// True when a receive waits on the broker for messages to arrive (Service Bus); false when it returns at
    /// once and callers must poll (Storage Queues). Consumers loop straight back after a non-empty receive only
    /// when it waits: polling again at once would cost a billed transaction that is usually empty.
    /// </summary>
    bool ReceiveWaits => false;

    /// <summary>
    /// Creates the queue (and its dead-letter queue) if the transport allows and it does not exist. Where the
    /// client cannot create queues (Service Bus without management rights, a queue reached by its SAS URL) it
    /// checks what it can and throws <see cref="InvalidOperationException"/> with the reason if the queue is missing.
    /// </summary>
    Task EnsureExistsAsync(CancellationToken cancellationToken);

    /// <summary>Sends one message.</summary>
    Task SendAsync(OutboundMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Sends several messages with as few round trips as the transport allows. Not atomic: if it throws, some
    /// of the messages may have been sent, so senders rely on message ids and idempotent consumers.
    /// </summary>
    Task SendBatchAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken cancellationToken);

    /// <summary>
    /// Receives up to <paramref name="maxMessages"/> messages, locking each for <paramref name="lockDuration"/>
    /// where the transport lets the receiver choose (Storage Queues); on Service Bus the lock duration is a
    /// property of the queue and the argument is ignored. Returns an empty list when nothing arrives within the
    /// transport's short receive wait.
    /// </summary>
    Task<IReadOnlyList<InboundMessage>> ReceiveAsync(int maxMessages, TimeSpan lockDuration, CancellationToken cancellationToken);

    /// <summary>Removes a message for good.</summary>
    Task CompleteAsync(InboundMessage message, CancellationToken cancellationToken);

    /// <summary>Gives a message back so it is delivered again after <paramref name="delay"/>.</summary>
    Task AbandonAsync(InboundMessage message, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Moves a message that can never be processed aside, with the reason.</summary>
    Task DeadLetterAsync(InboundMessage message, string reason, CancellationToken cancellationToken);

    /// <summary>Extends the lock of a message still being processed.</summary>
    Task RenewLockAsync(InboundMessage message, TimeSpan lockDuration, CancellationToken cancellationToken);

    /// <summary>
    /// The broker's approximate count of messages in the queue (for the queue-depth metric), or null when the
    /// transport cannot tell without management rights (Service Bus). One billed request per call on Storage Queues.
    /// </summary>
    Task<long?> GetApproximateDepthAsync(CancellationToken cancellationToken) => Task.FromResult<long?>(null);

    /// <summary>
    /// Hands the queue's messages to <paramref name="handler"/>, at most <see cref="ConsumeOptions.MaxConcurrency"/> at a
    /// time, until <paramref name="stoppingToken"/> is cancelled; then waits for the handlers running. The handler settles
    /// each message through this queue (complete, abandon, dead-letter, renew). Receive failures go to
    /// <paramref name="onError"/> and are retried: Storage Queues poll with full-jitter backoff, Service Bus runs a
    /// <c>ServiceBusProcessor</c>, whose SDK retry policy reconnects.
    /// </summary>
    Task ConsumeAsync(ConsumeOptions options, Func<InboundMessage, CancellationToken, Task> handler, Func<Exception, Task> onError, CancellationToken stoppingToken) =>
        PollingConsumer.RunAsync(this, options, handler, onError, TimeProvider.System, stoppingToken);
}

/// <summary>How a consumer takes messages from a queue.</summary>
public sealed record ConsumeOptions
{
    /// <summary>Messages handled at once; a receive never takes more than the free handler slots (plus prefetch).</summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>Messages a Service Bus processor fetches ahead (locked while they wait); 0 fetches only what it handles.</summary>
    public int PrefetchCount { get; init; }

    /// <summary>The lock a receive takes where the receiver chooses it (Storage Queues); Service Bus queues set their own.</summary>
    public TimeSpan LockDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Pause after a poll that found work (Storage Queues); polling backs off from here while idle.</summary>
    public TimeSpan MinPollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest pause between polls of an idle queue (Storage Queues have no long polling).</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>Opens queues by name on one configured transport.</summary>
public interface IMessageQueueFactory
{
    /// <summary>The queue called <paramref name="name"/>.</summary>
    IMessageQueue Open(string name);

    /// <summary>
    /// The queue where messages of <paramref name="name"/> go when they are dead-lettered (<c>name-poison</c> on
    /// Storage Queues, <c>name/$deadletterqueue</c> on Service Bus), to inspect or replay them.
    /// </summary>
    IMessageQueue OpenDeadLetter(string name);
}

/// <summary>A message to send.</summary>
/// <param name="Body">The payload; JSON produced by <see cref="Commands.ProtocolJson"/>.</param>
public sealed record OutboundMessage(BinaryData Body)
{
    /// <summary>How long the message may wait unread before the broker drops it; null for the transport default.</summary>
    public TimeSpan? TimeToLive { get; init; }

    /// <summary>
    /// The sender's id for the message (Service Bus duplicate detection uses it); null lets the transport pick
    /// one. Storage Queues always assign their own id and ignore this.
    /// </summary>
    public string? MessageId { get; init; }

    /// <summary>An id tying the message to another one (e.g. a result to its command). Not carried by Storage Queues.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The MIME type of <see cref="Body"/>, e.g. <c>application/json</c>. Not carried by Storage Queues.</summary>
    public string? ContentType { get; init; }

    /// <summary>The W3C <c>traceparent</c> of the sending activity. Not carried by Storage Queues.</summary>
    public string? TraceParent { get; init; }

    /// <summary>Application-defined properties. Not carried by Storage Queues.</summary>
    public IReadOnlyDictionary<string, string>? ApplicationProperties { get; init; }
}

/// <summary>A received, locked message.</summary>
public sealed class InboundMessage
{
    private static readonly IReadOnlyDictionary<string, string> NoProperties = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Creates a received message.</summary>
    public InboundMessage(string messageId, BinaryData body, long deliveryCount, DateTimeOffset? enqueuedAt, string lockToken)
    {
        MessageId = messageId;
        Body = body;
        DeliveryCount = deliveryCount;
        EnqueuedAt = enqueuedAt;
        LockToken = lockToken;
    }

    /// <summary>The message's id: the sender's if it set one (Service Bus), else the broker's (Storage Queues).</summary>
    public string MessageId { get; }

    /// <summary>The payload.</summary>
    public BinaryData Body { get; }

    /// <summary>How many times the message has been delivered, this delivery included.</summary>
    public long DeliveryCount { get; }

    /// <summary>When the message was enqueued, if the transport says.</summary>
    public DateTimeOffset? EnqueuedAt { get; }

    /// <summary>
    /// The transport's handle on the lock (a pop receipt for Storage Queues, the lock token for Service Bus);
    /// renewing may change it.
    /// </summary>
    public string LockToken { get; internal set; }

    /// <summary>Until when the lock holds, if the transport says (Service Bus, Storage Queues).</summary>
    public DateTimeOffset? LockedUntil { get; internal set; }

    /// <summary>The correlation id the sender set, if the transport carries it.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The body's MIME type, if the transport carries it.</summary>
    public string? ContentType { get; init; }

    /// <summary>The sender's W3C <c>traceparent</c>, if the transport carries it.</summary>
    public string? TraceParent { get; init; }

    /// <summary>Application-defined properties (non-string values are rendered with the invariant culture).</summary>
    public IReadOnlyDictionary<string, string> ApplicationProperties { get; init; } = NoProperties;

    /// <summary>The transport's own handle on the delivery (the SDK's received message and who settles it).</summary>
    internal object? TransportState { get; init; }
}
