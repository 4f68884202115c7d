using LdFleet.Functions.Durable;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Orchestration;
using Microsoft.DurableTask;

namespace LdFleet.Functions.Batches.Orchestration;

/// <summary>
/// One batch: starts a child operation (an orchestration of its own) per target, in target order, within the global
/// and per-host concurrency, until the errors exceed the threshold or a cancel arrives; the rest is then Skipped. As SSM
/// Run Command and IoT Jobs do, the error threshold stops new starts but lets running children finish.
/// </summary>
/// <remarks>
/// Children tell the batch they ended with an event (from their last activity), not as sub-orchestrations: that lets the
/// batch continue as new every few hundred children, so its history stays short whatever the batch size (a 10,000-target
/// batch would otherwise replay tens of thousands of events on every step). Targets are read from the batch's table a
/// window at a time, so the input stays small too. Children are started by an activity (not as sub-orchestrations: an
/// execution cannot continue as new while sub-orchestrations are open); ended children and cancels are events between
/// orchestrations.
/// </remarks>
internal sealed class BatchOrchestrator : TaskOrchestrator<BatchInput, BatchEnd?>
{
    /// <summary>Targets read from the table at a time, and the most kept waiting in memory.</summary>
    private const int ReadChunk = 200;
    private const int MaxWaiting = 1_000;

    /// <summary>Children started by one activity.</summary>
    private const int StartChunk = 200;

    public override async Task<BatchEnd?> RunAsync(TaskOrchestrationContext context, BatchInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (input is null || input.BatchId != context.InstanceId || input.Settings is null)
        {
            throw new InvalidOperationException($"Batch {context.InstanceId} has no readable input.");
        }

        return await new BatchRun(context, input).RunAsync();
    }

    private sealed class BatchRun
    {
        private readonly TaskOrchestrationContext _context;
        private readonly BatchInput _input;
        private readonly List<ChildTarget> _waiting;
        private readonly Dictionary<int, RunningChild> _running;
        private BatchCounts _counts;
        private BatchStatus _status;
        private bool _cancelRequested;
        private bool _cancelSent;
        private string? _stopReason;
        private int _nextSeq;

        public BatchRun(TaskOrchestrationContext context, BatchInput input)
        {
            _context = context;
            _input = input;
            var progress = input.Progress ?? new BatchProgress { Counts = new BatchCounts { Pending = input.Total } };
            _waiting = [.. progress.Waiting];
            _running = new Dictionary<int, RunningChild>(progress.Running);
            _counts = progress.Counts;
            _status = progress.Status;
            _cancelRequested = progress.CancelRequested;
            _cancelSent = progress.CancelSent;
            _stopReason = progress.StopReason;
            _nextSeq = progress.NextSeq;
            Generation = progress.Generation;
        }

        private int Generation { get; }

        private DateTimeOffset Now => new(DateTime.SpecifyKind(_context.CurrentUtcDateTime, DateTimeKind.Utc));

        public async Task<BatchEnd?> RunAsync()
        {
            var cancel = _context.WaitForExternalEvent<StopRequest>(BatchEvents.Cancel);
            var ended = _context.WaitForExternalEvent<ChildEnded>(BatchEvents.ChildEnded);
            Task<List<ChildTarget>>? reading = null;
            Task? recording = null;
            List<BatchChild>? toStart = null;
            var handled = 0;
            while (true)
            {
                if (cancel.IsCompleted && !_cancelRequested)
                {
                    _cancelRequested = true;
                    _stopReason = string.IsNullOrWhiteSpace(cancel.Result.Reason) ? "Cancelled by request." : $"Cancelled by request: {cancel.Result.Reason}";
                }

                // Past its share of child ends a generation starts nothing new, so its activities drain and it can hand over.
                var draining = handled >= _input.EndsPerGeneration;
                await StopIfDueAsync(reading is null);
                if (!draining && recording is null && PickChildren() is { } picked)
                {
                    toStart = picked;
                    recording = _context.CallActivityAsync<int>(TaskNames.StartBatchChildren, new StartChildrenInput(_input.BatchId, picked, ChildTemplate()), ActivityRetry.ReadModel);
                }

                if (!draining && reading is null && NeedsMoreTargets())
                {
                    reading = _context.CallActivityAsync<List<ChildTarget>>(TaskNames.ReadBatchItems, new ReadItemsInput(_input.BatchId, _nextSeq, ReadChunk), ActivityRetry.ReadModel);
                }

                Publish();
                if (_counts.Pending == 0 && _running.Count == 0 && recording is null && reading is null)
                {
                    break;
                }

                if (draining && recording is null && reading is null)
                {
                    // Hand over and start a fresh history; child ends that arrived meanwhile are kept for the next one.
                    _context.ContinueAsNew(_input with { Progress = Progress() }, preserveUnprocessedEvents: true);
                    return null;
                }

                var waits = new List<Task> { ended };
                if (!_cancelRequested)
                {
                    waits.Add(cancel);
                }

                waits.AddRange(new Task?[] { recording, reading }.OfType<Task>());
                var winner = await Task.WhenAny(waits);
                if (winner == ended)
                {
                    Apply(ended.Result);
                    handled++;
                    ended = _context.WaitForExternalEvent<ChildEnded>(BatchEvents.ChildEnded);
                }
                else if (winner == recording)
                {
                    if (recording!.IsFaulted)
                    {
                        // The start activity gave up (storage down for its whole retry budget): those children count as
                        // failed; any that did start report ends the batch ignores.
                        foreach (var child in toStart!.Where(c => _running.ContainsKey(c.Target.Seq)))
                        {
                            Apply(new ChildEnded(child.Target.Seq, child.OperationId, OperationStatus.Failed, "StartFailed"));
                        }
                    }

                    recording = null;
                    toStart = null;
                }
                else if (winner == reading)
                {
                    var read = reading!.Result;
                    _waiting.AddRange(read);
                    _nextSeq = read.Count == 0 ? _input.Total : read[^1].Seq + 1;
                    reading = null;
                }
            }

            var status = _cancelRequested ? BatchStatus.Cancelled
                : _counts.Errors > 0 || _counts.Cancelled > 0 || _counts.Skipped > 0 ? BatchStatus.Failed
                : BatchStatus.Succeeded;
            var end = new BatchEnd(_input.BatchId, status, _counts, _stopReason, _cancelRequested, Now);
            _context.SetCustomStatus(new BatchProgressView(status, _counts, _stopReason, _cancelRequested, Generation));
            await _context.CallActivityAsync(TaskNames.RecordBatch, end, ActivityRetry.ReadModel);
            return end;
        }

        /// <summary>Once cancelled or past the error threshold: skip what has not started, and cancel what runs (cancel only).</summary>
        private async Task StopIfDueAsync(bool noReadInFlight)
        {
            if (_status == BatchStatus.Running)
            {
                if (_cancelRequested)
                {
                    _status = BatchStatus.Cancelling;
                }
                else if (_counts.Errors > _input.MaxErrors.Resolve(_input.Total))
                {
                    _status = BatchStatus.Stopping;
                    _stopReason = $"{_counts.Errors} children failed, more than the {_input.MaxErrors} allowed; no new children start.";
                }
            }
            else if (_status == BatchStatus.Stopping && _cancelRequested)
            {
                _status = BatchStatus.Cancelling;
            }

            if (_status == BatchStatus.Running || !noReadInFlight)
            {
                return;
            }

            if (_waiting.Count > 0 || _nextSeq < _input.Total)
            {
                var skipped = _waiting.Count + (_input.Total - _nextSeq);
                await _context.CallActivityAsync(TaskNames.SkipBatchItems, new SkipItemsInput(_input.BatchId, [.. _waiting.Select(w => w.Seq)], _nextSeq, _input.Total), ActivityRetry.ReadModel);
                _counts = _counts with { Pending = _counts.Pending - skipped, Skipped = _counts.Skipped + skipped };
                _waiting.Clear();
                _nextSeq = _input.Total;
            }

            if (_status == BatchStatus.Cancelling && !_cancelSent)
            {
                foreach (var child in _running.Values)
                {
                    _context.SendEvent(child.OperationId, OperationEvents.Stop, new StopRequest(StopKind.Cancel, "The batch was cancelled."));
                }

                _cancelSent = true;
            }
        }

        /// <summary>The next children the limits allow, in target order, counted as running from now; null when none can start.</summary>
        private List<BatchChild>? PickChildren()
        {
            if (_status != BatchStatus.Running)
            {
                return null;
            }

            var free = _input.MaxConcurrency.Resolve(_input.Total) - _running.Count;
            if (free <= 0 || _waiting.Count == 0)
            {
                return null;
            }

            var onHost = _running.Values.GroupBy(r => r.HostKey).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var children = new List<BatchChild>();
            foreach (var target in _waiting)
            {
                if (children.Count == Math.Min(free, StartChunk))
                {
                    break;
                }

                var busy = onHost.GetValueOrDefault(target.HostKey);
                if (busy >= _input.MaxConcurrencyPerHost.Resolve(_input.TargetsPerHost.GetValueOrDefault(target.HostKey, 1)))
                {
                    continue;
                }

                onHost[target.HostKey] = busy + 1;
                children.Add(new BatchChild(target, ChildIds.For(Now, _input.BatchId, target.Seq)));
            }

            if (children.Count == 0)
            {
                return null;
            }

            var started = children.Select(c => c.Target.Seq).ToHashSet();
            _waiting.RemoveAll(t => started.Contains(t.Seq));
            foreach (var child in children)
            {
                _running[child.Target.Seq] = new RunningChild(child.Target.HostKey, child.OperationId);
            }

            _counts = _counts with { Pending = _counts.Pending - children.Count, Running = _counts.Running + children.Count };
            return children;
        }

        /// <summary>More targets are needed when free slots cannot be filled from the waiting window.</summary>
        private bool NeedsMoreTargets() =>
            _status == BatchStatus.Running && _nextSeq < _input.Total && _waiting.Count < MaxWaiting
            && _waiting.Count < _input.MaxConcurrency.Resolve(_input.Total) - _running.Count + StartChunk;

        private void Apply(ChildEnded end)
        {
            if (!_running.Remove(end.Seq))
            {
                return; // a repeated report (events come at least once)
            }

            _counts = end.Status switch
            {
                OperationStatus.Succeeded => _counts with { Running = _counts.Running - 1, Succeeded = _counts.Succeeded + 1 },
                OperationStatus.TimedOut => _counts with { Running = _counts.Running - 1, TimedOut = _counts.TimedOut + 1 },
                OperationStatus.Cancelled => _counts with { Running = _counts.Running - 1, Cancelled = _counts.Cancelled + 1 },
                _ => _counts with { Running = _counts.Running - 1, Failed = _counts.Failed + 1 },
            };
        }

        private OperationInput ChildTemplate() => new()
        {
            Workflow = _input.Workflow,
            SiteId = "",
            HostId = "",
            Parameters = _input.Parameters,
            Steps = _input.Steps,
            CreatedAt = Now,
            CreatedBy = _input.CreatedBy,
            BatchId = _input.BatchId,
            TraceParent = _input.TraceParent,
            TraceState = _input.TraceState,
            Settings = _input.Settings,
        };

        private BatchProgress Progress() => new()
        {
            NextSeq = _nextSeq,
            Waiting = [.. _waiting],
            Running = _running.ToDictionary(r => r.Key, r => r.Value),
            Counts = _counts,
            Status = _status,
            CancelRequested = _cancelRequested,
            CancelSent = _cancelSent,
            StopReason = _stopReason,
            Generation = Generation + 1,
        };

        private void Publish() => _context.SetCustomStatus(new BatchProgressView(_status, _counts, _stopReason, _cancelRequested, Generation));
    }
}

/// <summary>A running child: its host (for the per-host limit) and its operation.</summary>
internal sealed record RunningChild(string HostKey, string OperationId);

/// <summary>What a running batch publishes as its custom status (read by <c>GET /api/batches/{id}</c>).</summary>
internal sealed record BatchProgressView(BatchStatus Status, BatchCounts Counts, string? StopReason, bool CancelRequested, int Generation);

/// <summary>Ids of a batch's children: version-7 GUIDs (so they sort by creation time like every operation id), the same on every replay.</summary>
internal static class ChildIds
{
    public static string For(DateTimeOffset startedAt, string batchId, int seq)
    {
        // 48-bit Unix milliseconds, version 7, variant 10, and 74 bits from a hash of the batch and the target.
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{batchId}/{seq}")), hash);
        Span<byte> bytes = stackalloc byte[16];
        var ms = (ulong)Math.Max(0, startedAt.ToUnixTimeMilliseconds());
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(ms >> (8 * (5 - i)));
        }

        hash[..10].CopyTo(bytes[6..]);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return Convert.ToHexStringLower(bytes);
    }
}
