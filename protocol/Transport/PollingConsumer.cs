namespace LdFleet.Protocol.Transport;

/// <summary>
/// The consumer of transports without push delivery (Storage Queues): receive only as many messages as there are free
/// handler slots (a locked message waiting in memory is one another consumer could have run), back off while the queue
/// is idle, and retry receive failures with full-jitter backoff so consumers that lost the broker together do not
/// reconnect in lockstep.
/// </summary>
internal static class PollingConsumer
{
    // Broker or network outages: retry fast at first, never slower than every 30 s.
    private static readonly TimeSpan ReconnectBaseDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan ReconnectMaxDelay = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(
        IMessageQueue queue, ConsumeOptions options, Func<InboundMessage, CancellationToken, Task> handler, Func<Exception, Task> onError, TimeProvider time, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(onError);
        using var slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        var inFlight = new HashSet<Task>();
        var idle = options.MinPollInterval;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stoppingToken);
                var free = 1;
                while (free < options.MaxConcurrency && slots.Wait(0))
                {
                    free++;
                }

                IReadOnlyList<InboundMessage> messages;
                try
                {
                    messages = await queue.ReceiveAsync(free, options.LockDuration, stoppingToken);
                }
                catch
                {
                    slots.Release(free);
                    throw;
                }

                if (free > messages.Count)
                {
                    slots.Release(free - messages.Count);
                }

                failures = 0;
                foreach (var message in messages)
                {
                    var task = RunHandlerAsync(handler, message, slots, stoppingToken);
                    inFlight.Add(task);
                }

                inFlight.RemoveWhere(t => t.IsCompleted);
                idle = messages.Count > 0 ? options.MinPollInterval : TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, options.MaxPollInterval.Ticks));
                if (messages.Count > 0 && (messages.Count == free || queue.ReceiveWaits))
                {
                    continue;
                }

                await Task.Delay(idle, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                await onError(ex);
                try
                {
                    await Task.Delay(Backoff.FullJitter(failures++, ReconnectBaseDelay, ReconnectMaxDelay, Random.Shared), time, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        // Handlers see the cancellation and give their messages back; wait so none is left half-settled.
        await Task.WhenAll(inFlight).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static async Task RunHandlerAsync(Func<InboundMessage, CancellationToken, Task> handler, InboundMessage message, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            await handler(message, stoppingToken);
        }
        finally
        {
            slots.Release();
        }
    }
}
