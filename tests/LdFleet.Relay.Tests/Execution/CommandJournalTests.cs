using LdFleet.Protocol.Commands;
using LdFleet.Relay.Execution;
using LdFleet.Relay.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LdFleet.Relay.Tests.Execution;

public sealed class CommandJournalTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"ldfleet-journal-{Guid.NewGuid():N}.db");
    private readonly FakeTimeProvider _time = new(T0);

    public void Dispose()
    {
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Begin_FirstThenAgainBeforeCompletion_IsNewThenInterrupted()
    {
        using var journal = Open();

        Assert.Equal(JournalState.New, (await journal.BeginAsync(Command("c1"), default)).State);
        Assert.Equal(JournalState.Interrupted, (await journal.BeginAsync(Command("c1"), default)).State);
    }

    [Fact]
    public async Task Complete_SurvivesReopening_AndAnswersRedeliveries()
    {
        using (var journal = Open())
        {
            await journal.BeginAsync(Command("c1"), default);
            await journal.CompleteAsync(Result("c1", CommandOutcome.Succeeded), default);
        }

        using var reopened = Open();
        var (state, result) = await reopened.BeginAsync(Command("c1"), default);

        Assert.Equal(JournalState.Done, state);
        Assert.Equal(CommandOutcome.Succeeded, result!.Outcome);
        Assert.Equal("out", result.Output);
    }

    [Fact]
    public async Task Prune_ForgetsOnlyFinishedCommandsPastRetention()
    {
        using var journal = Open();
        await journal.BeginAsync(Command("old"), default);
        await journal.CompleteAsync(Result("old", CommandOutcome.Failed), default);
        await journal.BeginAsync(Command("running"), default);
        _time.Advance(TimeSpan.FromDays(8));
        await journal.BeginAsync(Command("recent"), default);
        await journal.CompleteAsync(Result("recent", CommandOutcome.Succeeded), default);

        Assert.Equal(1, await journal.PruneAsync(TimeSpan.FromDays(7), default));

        Assert.Equal(JournalState.New, (await journal.BeginAsync(Command("old"), default)).State);
        Assert.Equal(JournalState.Interrupted, (await journal.BeginAsync(Command("running"), default)).State);
        Assert.Equal(JournalState.Done, (await journal.BeginAsync(Command("recent"), default)).State);
    }

    private CommandJournal Open() => new(Options.Create(new RelayOptions { SiteId = "lab", JournalPath = _path }), _time);

    private static EmulatorCommand Command(string id) => new()
    {
        CommandId = id,
        OperationId = "op",
        SiteId = "lab",
        HostId = "host-1",
        Action = EmulatorActions.Launch,
        Index = 0,
        IssuedAt = T0,
        DeliverBy = T0.AddMinutes(5),
    };

    private CommandResult Result(string id, CommandOutcome outcome) => new()
    {
        SiteId = "lab",
        CommandId = id,
        OperationId = "op",
        HostId = "host-1",
        Outcome = outcome,
        Output = "out",
        CompletedAt = _time.GetUtcNow(),
    };
}
