using CsCheck;
using LdFleet.Functions.Batches;
using static LdFleet.Functions.Tests.Operations.Decide;

namespace LdFleet.Functions.Tests.Operations;

public sealed class BatchDeciderTests
{
    private static Batch NewBatch(int total, string concurrency, string? perHost = null, string? maxErrors = null)
    {
        Limit.TryParse(concurrency, false, out var c);
        Limit.TryParse(perHost, false, out var h);
        Limit.TryParse(maxErrors, true, out var e);
        return new Batch { Id = "b", Workflow = "launch", Total = total, MaxConcurrency = c, MaxConcurrencyPerHost = h, MaxErrors = e, Status = BatchStatus.Running, CreatedAt = T0, UpdatedAt = T0 };
    }

    private static BatchItem[] Items(int count, int hosts) =>
        [.. Enumerable.Range(0, count).Select(i => new BatchItem { Seq = i, SiteId = "s", HostId = $"h{i % hosts}", Index = i, Status = BatchItemStatus.Pending })];

    [Fact]
    public void StartsUpToConcurrency_InOrder_RespectingPerHostLimit()
    {
        var plan = BatchDecider.Plan(NewBatch(10, "4", "1"), Items(10, 2), T0);

        Assert.Equal([0, 1], plan.Start.Select(i => i.Seq));
        Assert.Equal(2, plan.Batch.Counts.Running);
    }

    [Fact]
    public void Percentages_ResolveAgainstTotals()
    {
        Assert.Equal(10, BatchDecider.Plan(NewBatch(100, "10%"), Items(100, 1), T0).Start.Count);
        Assert.Single(BatchDecider.Plan(NewBatch(3, "10%"), Items(3, 1), T0).Start);
    }

    [Fact]
    public void ErrorThreshold_StopsNewStarts_SkipsTheRest_FailsWhenRunningDrain()
    {
        var items = Items(10, 1);
        items[0] = items[0] with { Status = BatchItemStatus.Failed };
        items[1] = items[1] with { Status = BatchItemStatus.Failed };
        items[2] = items[2] with { Status = BatchItemStatus.Started };

        var plan = BatchDecider.Plan(NewBatch(10, "5", maxErrors: "1"), items, T0);

        Assert.Empty(plan.Start);
        Assert.Equal(7, plan.Skip.Count);
        Assert.Equal(BatchStatus.Stopping, plan.Batch.Status);
        items[2] = items[2] with { Status = BatchItemStatus.Succeeded };
        Assert.Equal(BatchStatus.Failed, BatchDecider.Plan(plan.Batch, [.. items.Select(i => i.Status == BatchItemStatus.Pending ? i with { Status = BatchItemStatus.Skipped } : i)], T0).Batch.Status);
    }

    [Fact]
    public void Cancel_StartsNothing_CancelsRunning()
    {
        var items = Items(4, 1);
        items[0] = items[0] with { Status = BatchItemStatus.Started, OperationId = "x" };

        var plan = BatchDecider.Plan(NewBatch(4, "2") with { CancelRequested = true }, items, T0);

        Assert.Empty(plan.Start);
        Assert.Equal([0], plan.Cancel.Select(i => i.Seq));
        Assert.Equal(BatchStatus.Cancelling, plan.Batch.Status);
    }

    [Fact]
    public void AllSucceeded_Succeeds()
    {
        var items = Items(3, 1).Select(i => i with { Status = BatchItemStatus.Succeeded }).ToArray();
        Assert.Equal(BatchStatus.Succeeded, BatchDecider.Plan(NewBatch(3, "2"), items, T0).Batch.Status);
    }

    /// <summary>Random completions and failures: the limits are never exceeded, and a finished batch stays finished.</summary>
    [Fact]
    public void RandomRuns_NeverExceedLimits()
    {
        var gen = Gen.Select(Gen.Int[1, 60], Gen.Int[1, 5], Gen.Int[1, 20], Gen.Int[1, 6], Gen.Int[0, 5], Gen.Int[0, 99].Array[1, 200]);
        gen.Sample((total, hosts, concurrency, perHost, maxErrors, moves) =>
        {
            var batch = NewBatch(total, concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture), perHost.ToString(System.Globalization.CultureInfo.InvariantCulture), maxErrors.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var items = Items(total, hosts);
            var errorsAtStop = -1;
            foreach (var move in moves)
            {
                var plan = BatchDecider.Plan(batch, items, T0);
                if (batch.Status.IsTerminal())
                {
                    Assert.Equal(batch.Status, plan.Batch.Status);
                    Assert.Empty(plan.Start);
                }

                foreach (var item in plan.Start)
                {
                    items[item.Seq] = item with { Status = BatchItemStatus.Started };
                }

                foreach (var item in plan.Skip)
                {
                    items[item.Seq] = item with { Status = BatchItemStatus.Skipped };
                }

                var errors = items.Count(i => i.Status is BatchItemStatus.Failed or BatchItemStatus.TimedOut);
                if (errors > maxErrors)
                {
                    errorsAtStop = errorsAtStop < 0 ? errors : errorsAtStop;
                    Assert.Empty(plan.Start);
                }

                var running = items.Where(i => i.Status == BatchItemStatus.Started).ToList();
                Assert.True(running.Count <= concurrency, $"{running.Count} running > {concurrency}");
                Assert.All(running.GroupBy(i => i.HostId), g => Assert.True(g.Count() <= perHost));
                batch = plan.Batch;

                // Finish one running child, failing some.
                if (running.Count > 0)
                {
                    var finished = running[move % running.Count];
                    items[finished.Seq] = finished with { Status = move % 4 == 0 ? BatchItemStatus.Failed : BatchItemStatus.Succeeded };
                }
            }
        }, iter: 2000);
    }
}
