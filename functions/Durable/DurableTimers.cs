using Microsoft.DurableTask;

namespace LdFleet.Functions.Durable;

/// <summary>Durable timers that never fire before their due time.</summary>
internal static class DurableTimers
{
    /// <summary>
    /// The Azure Storage provider turns a timer into a queue message made visible after <c>fireAt - now</c>, and the
    /// queue service takes that delay in whole seconds, dropping the fraction: a timer could fire up to a second
    /// early (seen: 0.5 s). Asking for one more second than due guarantees the message is not visible before the due
    /// time; a timer is then at most a second late, never early.
    /// </summary>
    public static readonly TimeSpan QueueDelayResolution = TimeSpan.FromSeconds(1);

    public static DateTime FireTimeFor(DateTimeOffset dueAt) => (dueAt + QueueDelayResolution).UtcDateTime;

    /// <summary>
    /// Cancels durable timers and event waits inside an orchestrator. It must be the synchronous
    /// <see cref="CancellationTokenSource.Cancel()"/>: <c>CancelAsync</c> completes on a thread-pool thread, and code after
    /// awaiting it would run outside the orchestrator's episode (its actions lost, the episode ending as if it waited).
    /// </summary>
    public static void CancelNow(CancellationTokenSource source) => source?.Cancel();

    /// <summary>A timer that completes at <paramref name="dueAt"/> or within a second after, never before.</summary>
    public static Task CreateTimerNotBefore(this TaskOrchestrationContext context, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.CreateTimer(FireTimeFor(dueAt), cancellationToken);
    }
}
