using System.Collections.Concurrent;
using LdFleet.Protocol.Transport;
using LdFleet.Testing;

namespace LdFleet.Protocol.Tests.Transport.Conformance;

/// <summary>What a transport can and cannot carry, so one test body covers every transport honestly.</summary>
/// <param name="CarriesProperties">Message id, correlation id, content type, trace parent and application properties survive the trip.</param>
public sealed record TransportCapabilities(bool CarriesProperties);

/// <summary>
/// The one behaviour every transport behind <see cref="IMessageQueue"/> must show. Derived classes supply the
/// broker (Azurite; the Service Bus test broker with the real SDK) and a fresh queue per test; the test bodies are shared.
/// </summary>
public abstract class TransportConformanceTests
{
    protected static readonly TimeSpan Lock = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    protected abstract IMessageQueueFactory Factory { get; }

    protected abstract TransportCapabilities Capabilities { get; }

    /// <summary>
    /// The name of an empty queue (with its dead-letter queue) that no other test uses. <paramref name="lockDuration"/> is the
    /// lock its receives take: a property of the queue on Service Bus, what the receiver asks for on Storage Queues
    /// (<see cref="LockFor"/>).
    /// </summary>
    protected abstract Task<string> NewQueueAsync(TimeSpan? lockDuration = null);

    /// <summary>The broker's own view, for assertion messages.</summary>
    protected virtual string DescribeBroker() => "";

    /// <summary>Stops the broker and starts it again with its data, as an outage would.</summary>
    protected abstract Task RestartBrokerAsync();

    /// <summary>The reason and original body of a dead-lettered message, in the transport's own layout.</summary>
    protected abstract (string Reason, string Body) ReadDeadLetter(InboundMessage message);

    [Fact]
    public async Task SendReceiveComplete_RoundTripsBodyAndRemovesMessage()
    {
        var queue = await OpenAsync();
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("{\"a\":1}")), default);

        var received = Assert.Single(await ReceiveAsync(queue, 1));
        Assert.Equal("{\"a\":1}", received.Body.ToString());
        Assert.Equal(1, received.DeliveryCount);
        await queue.CompleteAsync(received, default);
        await queue.CompleteAsync(received, default);

        Assert.Empty(await queue.ReceiveAsync(10, Lock, default));
    }

    [Fact]
    public async Task Receive_LockedMessage_IsHiddenFromOtherReceivers()
    {
        var name = await NewQueueAsync();
        var first = Factory.Open(name);
        var second = Factory.Open(name);
        await first.SendAsync(new OutboundMessage(BinaryData.FromString("x")), default);
        var locked = Assert.Single(await ReceiveAsync(first, 1));

        Assert.Empty(await second.ReceiveAsync(1, Lock, default));
        await first.CompleteAsync(locked, default);
        Assert.Empty(await second.ReceiveAsync(1, Lock, default));
    }

    [Fact]
    public async Task Abandon_RedeliversToAnotherReceiverWithHigherDeliveryCount()
    {
        var name = await NewQueueAsync();
        var first = Factory.Open(name);
        var second = Factory.Open(name);
        await first.SendAsync(new OutboundMessage(BinaryData.FromString("again")), default);
        var message = Assert.Single(await ReceiveAsync(first, 1));
        Assert.Empty(await second.ReceiveAsync(1, Lock, default));

        await first.AbandonAsync(message, TimeSpan.Zero, default);

        var redelivered = Assert.Single(await ReceiveAsync(second, 1));
        Assert.Equal("again", redelivered.Body.ToString());
        Assert.Equal(2, redelivered.DeliveryCount);
        await second.CompleteAsync(redelivered, default);
    }

    [Fact]
    public async Task LockExpiry_RedeliversWithHigherDeliveryCount()
    {
        var shortLock = TimeSpan.FromSeconds(2);
        var name = await NewQueueAsync(shortLock);
        var queue = Factory.Open(name);
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("forgotten")), default);
        var first = Assert.Single(await ReceiveAsync(queue, 1, shortLock));

        // Never settled: once the lock lapses the message is someone else's to take, counting one more delivery.
        var again = Assert.Single(await ReceiveAsync(Factory.Open(name), 1, shortLock));

        Assert.Equal("forgotten", again.Body.ToString());
        Assert.Equal(first.DeliveryCount + 1, again.DeliveryCount);
        Assert.True(DateTimeOffset.UtcNow >= first.LockedUntil, "redelivered before the first lock lapsed");
    }

    [Fact]
    public async Task RenewLock_PastTheLockDuration_KeepsTheMessageLocked()
    {
        // Long enough that a renewal a second or two late on a loaded machine still finds its lock.
        var shortLock = TimeSpan.FromSeconds(5);
        var name = await NewQueueAsync(shortLock);
        var queue = Factory.Open(name);
        var other = Factory.Open(name);
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("long job")), default);
        var message = Assert.Single(await ReceiveAsync(queue, 1, shortLock));
        var firstLock = message.LockedUntil;

        // Work three lock durations long, renewing every second.
        var until = DateTimeOffset.UtcNow + (3 * shortLock);
        while (DateTimeOffset.UtcNow < until)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await queue.RenewLockAsync(message, shortLock, default);
            Assert.Empty(await other.ReceiveAsync(1, shortLock, default));
        }

        Assert.True(message.LockedUntil > firstLock, "the renewed lock should end later than the first");
        await queue.CompleteAsync(message, default);
        Assert.Empty(await other.ReceiveAsync(1, shortLock, default));
    }

    /// <summary>
    /// 200 operations consumed through <see cref="IMessageQueue.ConsumeAsync"/> while the broker restarts. Delivery is
    /// at least once: a message whose completion the outage swallowed comes back once its lock lapses. The handler keeps a
    /// record of what it ran, as the relay's journal does, and completes a redelivery without running it again: every
    /// operation runs exactly once, none is lost, and the queue ends empty.
    /// </summary>
    [Fact]
    public async Task BrokerRestartMidStream_200Operations_NoneLostAndTheQueueEndsEmpty()
    {
        const int Count = 200;
        var lockDuration = TimeSpan.FromSeconds(5);
        var name = await NewQueueAsync(lockDuration);
        await Factory.Open(name).SendBatchAsync([.. Enumerable.Range(0, Count).Select(i => new OutboundMessage(BinaryData.FromString($"op-{i}")))], default);

        var runs = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var errors = new ConcurrentQueue<string>();
        var lastDelivery = DateTimeOffset.UtcNow;
        using var stop = new CancellationTokenSource();
        var queue = Factory.Open(name);
        var consumer = queue.ConsumeAsync(
            new ConsumeOptions { MaxConcurrency = 4, LockDuration = lockDuration, MinPollInterval = TimeSpan.FromMilliseconds(10), MaxPollInterval = TimeSpan.FromMilliseconds(100) },
            async (message, ct) =>
            {
                lastDelivery = DateTimeOffset.UtcNow;
                runs.AddOrUpdate(message.Body.ToString(), 1, (_, n) => n);
                try
                {
                    await queue.CompleteAsync(message, CancellationToken.None);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The outage took the completion: the message comes back when its lock lapses, and is not run again.
                }
            },
            error =>
            {
                // Kept for the failure message: what the consumer saw is how a stall after the restart gets explained.
                errors.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {error.GetType().Name}: {error.Message}");
                return Task.CompletedTask;
            },
            stop.Token);

        await Poll.UntilAsync(() => Task.FromResult(runs.Count), n => n >= Count / 4, Deadline * 4, "a quarter of the operations to run");
        await RestartBrokerAsync();
        try
        {
            // Done when every operation ran and nothing came back for longer than a lock: no lapsed lock is pending.
            await Poll.UntilAsync(
                () => Task.FromResult((runs.Count, Quiet: DateTimeOffset.UtcNow - lastDelivery)),
                s => s.Count >= Count && s.Quiet > lockDuration + TimeSpan.FromSeconds(2),
                TimeSpan.FromMinutes(3),
                $"all {Count} operations to run and redeliveries to stop");
        }
        catch (TimeoutException ex)
        {
            var missing = Enumerable.Range(0, Count).Select(i => $"op-{i}").Where(b => !runs.ContainsKey(b));
            throw new TimeoutException($"{ex.Message}; never run: {string.Join(", ", missing)}\n{DescribeBroker()}\nconsumer errors (last 20 of {errors.Count}):\n{string.Join('\n', errors.TakeLast(20))}", ex);
        }

        await stop.CancelAsync();
        await consumer;

        Assert.Equal(Count, runs.Count);
        Assert.Empty(await Factory.Open(name).ReceiveAsync(10, Lock, default));
    }

    [Fact]
    public async Task DeadLetter_MovesMessageAsideWithReason()
    {
        var name = await NewQueueAsync();
        var queue = Factory.Open(name);
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("not json")), default);
        var message = Assert.Single(await ReceiveAsync(queue, 1));

        await queue.DeadLetterAsync(message, "cannot parse", default);

        Assert.Empty(await queue.ReceiveAsync(1, Lock, default));
        var deadLetters = Factory.OpenDeadLetter(name);
        var dead = Assert.Single(await ReceiveAsync(deadLetters, 1));
        var (reason, body) = ReadDeadLetter(dead);
        Assert.Equal("cannot parse", reason);
        Assert.Equal("not json", body);
        await deadLetters.CompleteAsync(dead, default);
    }

    [Fact]
    public async Task TimeToLive_ExpiredMessageIsNeverDelivered()
    {
        var queue = await OpenAsync();
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("short-lived")) { TimeToLive = TimeSpan.FromSeconds(1) }, default);
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("keeper")), default);

        // Until the first message expires it may be received: give it straight back and look again.
        await Poll.UntilAsync(async () =>
        {
            var bodies = new List<string>();
            foreach (var message in await queue.ReceiveAsync(10, Lock, default))
            {
                bodies.Add(message.Body.ToString());
                await queue.AbandonAsync(message, TimeSpan.Zero, default);
            }

            return bodies;
        }, bodies => bodies.SequenceEqual(["keeper"]), Deadline, "the short-lived message to expire while the other stays");
    }

    [Fact]
    public async Task SendBatch_DeliversEveryMessage()
    {
        var queue = await OpenAsync();
        var bodies = Enumerable.Range(0, 25).Select(i => $"m{i}").ToArray();

        await queue.SendBatchAsync(bodies.Select(b => new OutboundMessage(BinaryData.FromString(b))).ToArray(), default);

        var received = await ReceiveAsync(queue, bodies.Length);
        Assert.Equal(bodies.Order(StringComparer.Ordinal), received.Select(m => m.Body.ToString()).Order(StringComparer.Ordinal));
        foreach (var message in received)
        {
            await queue.CompleteAsync(message, default);
        }
    }

    [Fact]
    public async Task Properties_RoundTripWhereTheTransportCarriesThem()
    {
        var queue = await OpenAsync();
        var traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        await queue.SendAsync(new OutboundMessage(BinaryData.FromString("{}"))
        {
            MessageId = "command-42",
            CorrelationId = "operation-7",
            ContentType = "application/json",
            TraceParent = traceParent,
            ApplicationProperties = new Dictionary<string, string> { ["site"] = "lab", ["kind"] = "launch" },
        }, default);

        var message = Assert.Single(await ReceiveAsync(queue, 1));
        Assert.Equal("{}", message.Body.ToString());
        if (Capabilities.CarriesProperties)
        {
            Assert.Equal("command-42", message.MessageId);
            Assert.Equal("operation-7", message.CorrelationId);
            Assert.Equal("application/json", message.ContentType);
            Assert.Equal(traceParent, message.TraceParent);
            Assert.Equal("lab", message.ApplicationProperties["site"]);
            Assert.Equal("launch", message.ApplicationProperties["kind"]);
        }
        else
        {
            Assert.Null(message.CorrelationId);
            Assert.Null(message.TraceParent);
            Assert.Empty(message.ApplicationProperties);
        }

        await queue.CompleteAsync(message, default);
    }

    [Fact]
    public async Task ConcurrentReceivers_ShareTheWorkAndEachMessageIsCompletedOnce()
    {
        var name = await NewQueueAsync();
        const int Count = 40;
        await Factory.Open(name).SendBatchAsync(Enumerable.Range(0, Count).Select(i => new OutboundMessage(BinaryData.FromString($"job-{i}"))).ToArray(), default);

        var seen = new ConcurrentBag<string>();
        using var done = new CancellationTokenSource(Deadline);
        var receivers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var queue = Factory.Open(name);
            while (seen.Count < Count && !done.IsCancellationRequested)
            {
                foreach (var message in await queue.ReceiveAsync(5, Lock, default))
                {
                    seen.Add(message.Body.ToString());
                    await queue.CompleteAsync(message, default);
                }
            }
        })).ToArray();
        await Task.WhenAll(receivers);

        Assert.Equal(Count, seen.Count);
        Assert.Equal(Count, seen.Distinct(StringComparer.Ordinal).Count());
        Assert.Empty(await Factory.Open(name).ReceiveAsync(10, Lock, default));
    }

    protected async Task<IMessageQueue> OpenAsync()
    {
        var queue = Factory.Open(await NewQueueAsync());
        await queue.EnsureExistsAsync(default);
        return queue;
    }

    /// <summary>Receives until <paramref name="count"/> messages arrived, keeping their locks.</summary>
    protected static async Task<IReadOnlyList<InboundMessage>> ReceiveAsync(IMessageQueue queue, int count, TimeSpan? lockDuration = null)
    {
        var received = new List<InboundMessage>();
        await Poll.UntilAsync(async () =>
        {
            received.AddRange(await queue.ReceiveAsync(count - received.Count, lockDuration ?? Lock, default));
            return received.Count;
        }, n => n >= count, Deadline, $"{count} message(s) on {queue.Name}");
        return received;
    }
}
