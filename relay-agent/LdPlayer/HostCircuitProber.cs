using LdFleet.Relay.Hosting;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.LdPlayer;

/// <summary>
/// Probes hosts whose circuit is open once their break is over, with a list2 through the breaker (its half-open
/// call): a host that answers again is closed at once instead of at the next command or inventory round.
/// </summary>
internal sealed partial class HostCircuitProber : BackgroundService
{
    private readonly LdPlayerHostRegistry _hosts;
    private readonly LdPlayerDriver _driver;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger<HostCircuitProber> _logger;

    public HostCircuitProber(LdPlayerHostRegistry hosts, LdPlayerDriver driver, TimeProvider time, IOptions<RelayOptions> options, ILogger<HostCircuitProber> logger)
    {
        _hosts = hosts;
        _driver = driver;
        _time = time;
        _interval = options.Value.Circuit.ProbeInterval;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        while (await timer.TickOrStopAsync(stoppingToken))
        {
            await Task.WhenAll(_hosts.All.Where(h => h.Circuit.ProbeDue).Select(h => ProbeAsync(h, stoppingToken)));
        }
    }

    /// <summary>One probe; its outcome moves the circuit, so nothing is done with it here but logging.</summary>
    internal async Task ProbeAsync(LdPlayerHost host, CancellationToken stoppingToken)
    {
        try
        {
            var (_, error) = await _driver.ListAsync(host, stoppingToken);
            LogProbed(_logger, host.Id, error ?? "list2 answered", host.Circuit.Snapshot().State);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is HostUnavailableException or IOException)
        {
            // Refused (another call is probing) or failed to reach the host: the breaker has counted it already.
            LogProbed(_logger, host.Id, ex.Message, host.Circuit.Snapshot().State);
        }
    }

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "{HostId}: circuit probe: {Outcome}; circuit {State}")]
    private static partial void LogProbed(ILogger logger, string hostId, string outcome, string state);
}
