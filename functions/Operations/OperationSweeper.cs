using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Operations;

/// <summary>
/// The timer that fires the operations' deadlines: retries whose time came and commands recorded but never
/// confirmed sent are sent, and operations nobody answered are timed out. Self-hosted mode runs it on its own timer; in Azure
/// the Functions timer trigger calls <see cref="SweepOnceAsync"/>.
/// </summary>
internal sealed partial class OperationSweeper : BackgroundService
{
    private readonly OperationStore _store;
    private readonly OperationService _service;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<OperationsOptions> _options;
    private readonly ILogger<OperationSweeper> _logger;

    public OperationSweeper(OperationStore store, OperationService service, TimeProvider time, IOptionsMonitor<OperationsOptions> options, ILogger<OperationSweeper> logger)
    {
        _store = store;
        _service = service;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>One pass; returns how many operations it re-drove and timed out.</summary>
    public async Task<(int Redriven, int TimedOut)> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var redriven = 0;
        await foreach (var id in _store.FindSendDueAsync(now, cancellationToken))
        {
            redriven += await _service.RedriveAsync(id, cancellationToken) ? 1 : 0;
        }

        var timedOut = 0;
        await foreach (var id in _store.FindOverdueAsync(now, cancellationToken))
        {
            timedOut += await _service.CheckDeadlineAsync(id, cancellationToken) ? 1 : 0;
        }

        return (redriven, timedOut);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.CurrentValue.SweepInterval, _time, stoppingToken);
                var (redriven, timedOut) = await SweepOnceAsync(stoppingToken);
                if (redriven + timedOut > 0)
                {
                    LogSwept(_logger, redriven, timedOut);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Storage or broker down: the next pass tries again; nothing is lost in between.
                LogSweepFailed(_logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Sweep: {Redriven} commands sent again, {TimedOut} operations timed out")]
    private static partial void LogSwept(ILogger logger, int redriven, int timedOut);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Sweep failed; retrying at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
