using LdFleet.Relay.Hosting;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Execution;

/// <summary>Keeps the command journal small: finished commands older than the retention are forgotten hourly.</summary>
internal sealed partial class JournalPruner : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    private readonly CommandJournal _journal;
    private readonly TimeProvider _time;
    private readonly TimeSpan _retention;
    private readonly ILogger<JournalPruner> _logger;

    public JournalPruner(CommandJournal journal, TimeProvider time, IOptions<RelayOptions> options, ILogger<JournalPruner> logger)
    {
        _journal = journal;
        _time = time;
        _retention = options.Value.JournalRetention;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        do
        {
            try
            {
                var removed = await _journal.PruneAsync(_retention, stoppingToken);
                LogPruned(_logger, removed);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A failed prune only leaves the file larger; try again next hour.
                LogPruneFailed(_logger, ex);
            }
        }
        while (await timer.TickOrStopAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Command journal pruned: {Removed} finished commands forgotten")]
    private static partial void LogPruned(ILogger logger, int removed);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Pruning the command journal failed")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
