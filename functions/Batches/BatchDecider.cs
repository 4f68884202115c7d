namespace LdFleet.Functions.Batches;

/// <summary>What a pump round should do.</summary>
/// <param name="Start">Items to start now, in order.</param>
/// <param name="Skip">Pending items that will never start (the batch stopped).</param>
/// <param name="Cancel">Running items whose operations must be cancelled.</param>
internal sealed record BatchPlan(Batch Batch, IReadOnlyList<BatchItem> Start, IReadOnlyList<BatchItem> Skip, IReadOnlyList<BatchItem> Cancel);

/// <summary>
/// The pure core of a batch: given its items' states, which to start next. The limits hold by construction:
/// never more than the global or per-host concurrency running, nothing new once the errors exceed the
/// threshold or a cancel was asked for. As SSM Run Command and IoT Jobs do, the error threshold stops new
/// starts but lets running children finish.
/// </summary>
internal static class BatchDecider
{
    public static BatchPlan Plan(Batch batch, IReadOnlyList<BatchItem> items, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(items);
        var counts = BatchCounts.Of(items);
        if (batch.Status.IsTerminal())
        {
            return new BatchPlan(batch with { Counts = counts }, [], [], []);
        }

        var status = batch.Status;
        var stopReason = batch.StopReason;
        var maxErrors = batch.MaxErrors.Resolve(batch.Total);
        if (batch.CancelRequested)
        {
            status = BatchStatus.Cancelling;
            stopReason ??= "Cancelled by request.";
        }
        else if (counts.Errors > maxErrors && status == BatchStatus.Running)
        {
            status = BatchStatus.Stopping;
            stopReason = $"{counts.Errors} children failed, more than the {batch.MaxErrors} allowed; no new children start.";
        }

        var start = new List<BatchItem>();
        var skip = new List<BatchItem>();
        var cancel = new List<BatchItem>();
        if (status == BatchStatus.Running)
        {
            var perHostTotal = items.GroupBy(HostKey).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var running = items.Where(i => i.Status == BatchItemStatus.Started).GroupBy(HostKey).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var free = batch.MaxConcurrency.Resolve(batch.Total) - counts.Running;
            foreach (var item in items)
            {
                if (free <= 0)
                {
                    break;
                }

                if (item.Status != BatchItemStatus.Pending)
                {
                    continue;
                }

                var host = HostKey(item);
                var onHost = running.GetValueOrDefault(host);
                if (onHost >= batch.MaxConcurrencyPerHost.Resolve(perHostTotal[host]))
                {
                    continue;
                }

                running[host] = onHost + 1;
                free--;
                start.Add(item);
            }
        }
        else
        {
            skip.AddRange(items.Where(i => i.Status == BatchItemStatus.Pending));
            if (status == BatchStatus.Cancelling)
            {
                cancel.AddRange(items.Where(i => i.Status == BatchItemStatus.Started));
            }
        }

        // Counts as they will be once this round's writes land.
        var after = counts with
        {
            Pending = counts.Pending - start.Count - skip.Count,
            Running = counts.Running + start.Count,
            Skipped = counts.Skipped + skip.Count,
        };
        DateTimeOffset? completedAt = null;
        if (after.Pending == 0 && after.Running == 0)
        {
            status = batch.CancelRequested ? BatchStatus.Cancelled
                : after.Errors > 0 || after.Cancelled > 0 || after.Skipped > 0 ? BatchStatus.Failed
                : BatchStatus.Succeeded;
            completedAt = now;
        }

        var next = batch with
        {
            Status = status,
            StopReason = stopReason,
            Counts = after,
            CompletedAt = completedAt ?? batch.CompletedAt,
            UpdatedAt = status != batch.Status || start.Count > 0 || skip.Count > 0 ? now : batch.UpdatedAt,
        };
        return new BatchPlan(next, start, skip, cancel);
    }

    private static string HostKey(BatchItem item) => item.SiteId + "/" + item.HostId;
}
