using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Azure.Data.Tables;
using LdFleet.Functions.Batches;
using LdFleet.Functions.Operations;
using LdFleet.Protocol.Commands;
using LdFleet.Testing;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>Batches on their real orchestrations: limits, the error threshold, cancel, and histories bounded by continuing as new.</summary>
[Collection("operations")]
public sealed class BatchTests
{
    private readonly OperationsFixture _fixture;

    public BatchTests(OperationsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Children_StartInTargetOrder_WithinGlobalAndPerHostConcurrency()
    {
        var site = OperationsFixture.NewSiteId();
        var held = new HeldCommands();
        await using var relay = _fixture.Relay(site, held.Hold);
        var targets = Enumerable.Range(0, 12).Select(i => new { siteId = site, hostId = $"host-{(i % 3) + 1}", index = i }).ToArray();

        var batch = await StartAsync(new { workflow = "launch", selector = new { targets }, maxConcurrency = 5, maxConcurrencyPerHost = 2 });

        // The first wave is the first five targets (they fit both limits). Children run in parallel, so their
        // commands reach the relay in any order: wait for the whole wave before answering anything.
        var firstWave = await Poll.UntilAsync(() => Task.FromResult(held.Outstanding()), o => o.Count >= 5, TimeSpan.FromSeconds(60), "the first wave of five children");
        Assert.Equal([0, 1, 2, 3, 4], firstWave.Select(c => c.Index!.Value).Order());
        var answered = 0;
        while (answered < targets.Length)
        {
            var outstanding = await Poll.UntilAsync(() => Task.FromResult(held.Outstanding()), o => o.Count > 0, TimeSpan.FromSeconds(60), "a child to run");
            Assert.True(outstanding.Count <= 5, $"{outstanding.Count} children ran at once");
            Assert.All(outstanding.GroupBy(c => c.HostId), g => Assert.True(g.Count() <= 2, $"{g.Count()} children on {g.Key}"));
            await held.AnswerOldestAsync(relay, Reply.Succeeded());
            answered++;
        }

        var done = await WaitEndedAsync(batch.Id);
        Assert.Equal(BatchStatus.Succeeded, done.Status);
        Assert.Equal(12, done.Counts.Succeeded);
        var items = await ItemsAsync(batch.Id);
        Assert.All(items, i => Assert.Equal(BatchItemStatus.Succeeded, i.Status));
        var children = await _fixture.Api.GetFromJsonAsync<List<OperationView>>(new Uri($"/api/operations?batchId={batch.Id}&pageSize=100", UriKind.Relative), OperationStore.Json);
        Assert.Equal(items.Select(i => i.OperationId).Order(), children!.Select(c => c.Id).Order());
    }

    [Fact]
    public async Task ErrorThreshold_StopsNewStarts_AndSkipsTheRest()
    {
        var site = OperationsFixture.NewSiteId();
        await using var relay = _fixture.Relay(site, _ => Reply.Failed("NoEffect"));
        var targets = Enumerable.Range(0, 10).Select(i => new { siteId = site, hostId = "host-1", index = i }).ToArray();

        var batch = await StartAsync(new { workflow = "quit", selector = new { targets }, maxConcurrency = 1, maxErrors = 1 });
        var done = await WaitEndedAsync(batch.Id);

        Assert.Equal(BatchStatus.Failed, done.Status);
        Assert.Equal((2, 8), (done.Counts.Failed, done.Counts.Skipped));
        Assert.Contains("more than the 1 allowed", done.StopReason, StringComparison.Ordinal);
        Assert.Equal(2, relay.Received.Count);
        Assert.Equal(8, (await ItemsAsync(batch.Id)).Count(i => i.Status == BatchItemStatus.Skipped));
    }

    [Fact]
    public async Task Cancel_CancelsRunningChildren_AndSkipsTheRest()
    {
        var site = OperationsFixture.NewSiteId();
        var held = new HeldCommands();
        await using var relay = _fixture.Relay(site, held.Hold);
        var targets = Enumerable.Range(0, 10).Select(i => new { siteId = site, hostId = "host-1", index = i }).ToArray();
        var batch = await StartAsync(new { workflow = "launch", selector = new { targets }, maxConcurrency = 2 });
        await Poll.UntilAsync(() => Task.FromResult(held.Outstanding().Count), n => n == 2, TimeSpan.FromSeconds(60), "two children to run");

        using var cancel = await _fixture.Api.PostAsync(new Uri($"/api/batches/{batch.Id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await WaitEndedAsync(batch.Id);

        Assert.Equal(BatchStatus.Cancelled, done.Status);
        Assert.Equal((2, 8), (done.Counts.Cancelled, done.Counts.Skipped));
        await Poll.UntilAsync(() => Task.FromResult(relay.Received.Count(c => c.Action == EmulatorActions.Cancel)), n => n == 2, TimeSpan.FromSeconds(30), "both running children to be cancelled on the relay");
    }

    [Fact]
    public async Task LongBatch_ContinuesAsNew_SoNoHistoryGrowsPastItsBound()
    {
        var site = OperationsFixture.NewSiteId();
        await using var relay = _fixture.Relay(site);
        var targets = Enumerable.Range(0, 60).Select(i => new { siteId = site, hostId = $"host-{(i % 4) + 1}", index = i }).ToArray();

        var batch = await StartAsync(new { workflow = "quit", selector = new { targets }, maxConcurrency = 10 });
        var done = await WaitEndedAsync(batch.Id, TimeSpan.FromMinutes(5));

        Assert.Equal(BatchStatus.Succeeded, done.Status);
        Assert.Equal(60, done.Counts.Succeeded);
        Assert.Equal(60, relay.Received.Count);

        // 20 child ends per generation (Batches:EndsPerGeneration in the fixture): three generations at least, and
        // the one that finished holds a bounded history.
        var tables = _fixture.App.Get<TableServiceClient>();
        var instance = (await tables.GetTableClient("opstestsInstances").GetEntityAsync<TableEntity>(batch.Id, "")).Value;
        var history = tables.GetTableClient("opstestsHistory").QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {batch.Id} and ExecutionId eq {instance.GetString("ExecutionId")}"), select: ["RowKey"]);
        var events = 0;
        await foreach (var _ in history)
        {
            events++;
        }

        Assert.InRange(events, 1, 300);
        using var status = System.Text.Json.JsonDocument.Parse(instance.GetString("CustomStatus"));
        Assert.True(status.RootElement.GetProperty("Generation").GetInt32() >= 2, instance.GetString("CustomStatus"));
    }

    private async Task<BatchView> StartAsync(object request)
    {
        using var response = await _fixture.Api.PostAsJsonAsync(new Uri("/api/batches", UriKind.Relative), request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<BatchView>(OperationStore.Json))!;
    }

    private Task<BatchView> WaitEndedAsync(string id, TimeSpan? timeout = null) => Poll.UntilAsync(
        async () => (await _fixture.Api.GetFromJsonAsync<BatchView>(new Uri($"/api/batches/{id}", UriKind.Relative), OperationStore.Json))!,
        b => b.Status.IsTerminal() && b.CompletedAt is not null,
        timeout ?? TimeSpan.FromSeconds(90),
        $"batch {id} to end");

    private async Task<List<BatchItem>> ItemsAsync(string id) =>
        (await _fixture.Api.GetFromJsonAsync<List<BatchItem>>(new Uri($"/api/batches/{id}/items?pageSize=1000", UriKind.Relative), OperationStore.Json))!;

    /// <summary>Commands the relay received and holds unanswered until the test answers them.</summary>
    private sealed class HeldCommands
    {
        private readonly ConcurrentQueue<EmulatorCommand> _held = new();

        public Reply? Hold(EmulatorCommand command)
        {
            if (command.Action != EmulatorActions.Cancel)
            {
                _held.Enqueue(command);
            }

            return null;
        }

        public List<EmulatorCommand> Outstanding() => [.. _held];

        public async Task AnswerOldestAsync(ScriptedRelay relay, Reply reply)
        {
            Assert.True(_held.TryDequeue(out var command));
            await relay.AnswerAsync(command, reply);
        }
    }
}
