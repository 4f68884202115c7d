using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace LdFleet.Protocol.Transport;

/// <summary>
/// Azure Storage Queues: the embedded local default (Azurite) and a low-cost transport in Azure.
/// Visibility timeout is the lock, the pop receipt is the lock token, and "dead-letter" means the
/// <c>-poison</c> queue the Functions queue trigger also uses.
/// </summary>
internal sealed class StorageQueueFactory : IMessageQueueFactory
{
    private readonly QueueServiceClient _service;

    public StorageQueueFactory(QueueServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _service = service;
    }

    public IMessageQueue Open(string name) => new StorageMessageQueue(_service.GetQueueClient(name), _service.GetQueueClient(name + PoisonSuffix));

    public IMessageQueue OpenDeadLetter(string name) => Open(name + PoisonSuffix);

    // The suffix the Functions queue trigger uses for its poison queue, so both agree on where bad messages go.
    internal const string PoisonSuffix = "-poison";
}

internal sealed class StorageMessageQueue : IMessageQueue
{
    // Storage Queues cap a visibility timeout at 7 days and a receive at 32 messages.
    private const int MaxBatch = 32;

    // Storage Queues have no batch send; a few puts in flight at once is what "batched" means here.
    private const int MaxSendsInFlight = 16;
    private static readonly TimeSpan MaxLock = TimeSpan.FromDays(7);
    private static readonly TimeSpan MinReceiveLock = TimeSpan.FromSeconds(1);

    private readonly QueueClient _queue;
    private readonly QueueClient? _poison;
    private readonly bool _canCreate;

    /// <param name="queue">The queue.</param>
    /// <param name="poison">Where dead-lettered messages go; null when this client holds no credential for it.</param>
    /// <param name="canCreate">
    /// False for a queue reached by its own SAS URL (a relay's per-site credential), which cannot create queues: the
    /// cloud app creates them when it issues the credentials.
    /// </param>
    public StorageMessageQueue(QueueClient queue, QueueClient? poison, bool canCreate = true)
    {
        _queue = queue;
        _poison = poison;
        _canCreate = canCreate;
    }

    public string Name => _queue.Name;

    public async Task EnsureExistsAsync(CancellationToken cancellationToken)
    {
        if (!_canCreate)
        {
            return;
        }

        await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        if (_poison is not null)
        {
            await _poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }

    public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _queue.SendMessageAsync(message.Body, visibilityTimeout: null, timeToLive: message.TimeToLive, cancellationToken);
    }

    public async Task SendBatchAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var options = new ParallelOptions { MaxDegreeOfParallelism = MaxSendsInFlight, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(messages, options, async (message, ct) => await SendAsync(message, ct));
    }

    public async Task<IReadOnlyList<InboundMessage>> ReceiveAsync(int maxMessages, TimeSpan lockDuration, CancellationToken cancellationToken)
    {
        var count = Math.Clamp(maxMessages, 1, MaxBatch);
        // A receive must lock for at least a second (the service refuses 0).
        var lockFor = lockDuration < MinReceiveLock ? MinReceiveLock : Clamp(lockDuration);
        var response = await _queue.ReceiveMessagesAsync(count, lockFor, cancellationToken);
        return response.Value
            .Select(m => new InboundMessage(m.MessageId, m.Body, m.DequeueCount, m.InsertedOn, m.PopReceipt) { LockedUntil = m.NextVisibleOn })
            .ToArray();
    }

    public async Task<long?> GetApproximateDepthAsync(CancellationToken cancellationToken)
    {
        var properties = await _queue.GetPropertiesAsync(cancellationToken);
        return properties.Value.ApproximateMessagesCount;
    }

    public async Task CompleteAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await _queue.DeleteMessageAsync(message.MessageId, message.LockToken, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Already gone: completing is idempotent.
        }
    }

    public async Task AbandonAsync(InboundMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            var receipt = await _queue.UpdateMessageAsync(message.MessageId, message.LockToken, visibilityTimeout: Clamp(delay), cancellationToken: cancellationToken);
            message.LockToken = receipt.Value.PopReceipt;
            message.LockedUntil = receipt.Value.NextVisibleOn;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // The message expired (TTL) or was deleted while locked: there is nothing left to give back.
        }
    }

    public async Task DeadLetterAsync(InboundMessage message, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_poison is null)
        {
            throw new InvalidOperationException($"No credential for the poison queue of '{Name}' was given (Transport:QueueUrls:{Name}-poison); message {message.MessageId} stays in the queue.");
        }

        // The poison copy keeps the original body (so it can be replayed) and adds why it was set aside.
        var envelope = new PoisonEnvelope(message.MessageId, reason, message.DeliveryCount, message.Body.ToString());
        await _poison.SendMessageAsync(BinaryData.FromObjectAsJson(envelope, Commands.ProtocolJson.Options), cancellationToken: cancellationToken);
        await CompleteAsync(message, cancellationToken);
    }

    public async Task RenewLockAsync(InboundMessage message, TimeSpan lockDuration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var receipt = await _queue.UpdateMessageAsync(message.MessageId, message.LockToken, visibilityTimeout: Clamp(lockDuration), cancellationToken: cancellationToken);
        message.LockToken = receipt.Value.PopReceipt;
        message.LockedUntil = receipt.Value.NextVisibleOn;
    }

    private static TimeSpan Clamp(TimeSpan value) => value < TimeSpan.Zero ? TimeSpan.Zero : value > MaxLock ? MaxLock : value;

    private sealed record PoisonEnvelope(string MessageId, string Reason, long DeliveryCount, string Body);
}
