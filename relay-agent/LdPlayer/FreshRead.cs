namespace LdFleet.Relay.LdPlayer;

/// <summary>
/// Shares one read among concurrent callers without ever handing a caller a result older than its call: a caller
/// joins a read that has not started yet, or starts one; a read already running when it arrives may predate a
/// change the caller must see, so the caller waits for the next one instead. At most one read runs and one waits.
/// </summary>
/// <remarks>
/// Why: hundreds of boot waits on one host each polled list2 every second, and every list2 queued behind the host's
/// limit on concurrent ldconsole calls, so polling cost grew with waiters times host size. When list2 is slow next to
/// the poll interval (large hosts, a busy host), the waiters now share reads instead of queuing one each, with the
/// freshness every caller had when it ran its own. With a fast list2 and few waiters, calls rarely overlap and little
/// changes.
/// </remarks>
internal sealed class FreshRead<T>
{
    private readonly Lock _gate = new();
    private Task<T>? _running;
    private TaskCompletionSource<T>? _queued;

    /// <summary>
    /// A result of <paramref name="read"/> started at or after this call. The shared read itself is not cancelled by
    /// <paramref name="cancellationToken"/> (other callers may be waiting for it); only this caller stops waiting.
    /// </summary>
    public Task<T> ReadAsync(Func<Task<T>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        lock (_gate)
        {
            if (_queued is { } queued)
            {
                return queued.Task.WaitAsync(cancellationToken);
            }

            if (_running is null || _running.IsCompleted)
            {
                _running = Task.Run(read, CancellationToken.None);
                return _running.WaitAsync(cancellationToken);
            }

            var next = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            _queued = next;
            _ = RunAfterAsync(_running, next, read);
            return next.Task.WaitAsync(cancellationToken);
        }
    }

    private async Task RunAfterAsync(Task previous, TaskCompletionSource<T> next, Func<Task<T>> read)
    {
        // The previous read's failure belongs to its own callers.
        await previous.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        Task<T> run;
        lock (_gate)
        {
            _queued = null;
            run = Task.Run(read, CancellationToken.None);
            _running = run;
        }

        try
        {
            next.TrySetResult(await run.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            next.TrySetCanceled();
        }
        catch (Exception ex)
        {
            next.TrySetException(ex);
        }
    }
}
