using System.Reflection;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Reporting;

/// <summary>
/// Sends heartbeats and inventory reports on the results queue. Reports are periodic and self-correcting, so a
/// failed send is logged and the next period tries again; they never block command execution.
/// </summary>
internal sealed partial class RelayReporter : BackgroundService
{
    private static readonly string Version = typeof(RelayReporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private readonly IMessageQueueFactory _queues;
    private readonly LdPlayerHostRegistry _hosts;
    private readonly LdPlayerDriver _driver;
    private readonly RelayActivity _activity;
    private readonly TimeProvider _time;
    private readonly ReportingOptions _options;
    private readonly string _siteId;
    private readonly ILogger<RelayReporter> _logger;
    private readonly string _instanceId = Guid.NewGuid().ToString("N");
    private readonly DateTimeOffset _startedAt;
    private readonly long _startedTimestamp;

    public RelayReporter(
        IMessageQueueFactory queues,
        LdPlayerHostRegistry hosts,
        LdPlayerDriver driver,
        RelayActivity activity,
        TimeProvider time,
        IOptions<ReportingOptions> options,
        IOptions<RelayOptions> relay,
        ILogger<RelayReporter> logger)
    {
        _queues = queues;
        _hosts = hosts;
        _driver = driver;
        _activity = activity;
        _time = time;
        _options = options.Value;
        _siteId = relay.Value.SiteId;
        _logger = logger;
        _startedAt = time.GetUtcNow();

        // Uptime from the monotonic clock: the wall clock of a site PC may be set while the relay runs.
        _startedTimestamp = time.GetTimestamp();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var results = _queues.Open(QueueNames.Results);
        return Task.WhenAll(HeartbeatLoopAsync(results, stoppingToken), InventoryLoopAsync(results, stoppingToken));
    }

    private async Task HeartbeatLoopAsync(IMessageQueue results, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        do
        {
            await SendAsync(results, Heartbeat(), stoppingToken);
        }
        while (await timer.TickOrStopAsync(stoppingToken));
    }

    /// <summary>The heartbeat as of now: who the relay is, how long it has run, how busy it is, each host's circuit.</summary>
    internal RelayHeartbeat Heartbeat() => new()
    {
        SiteId = _siteId,
        InstanceId = _instanceId,
        Version = Version,
        StartedAt = _startedAt,
        SentAt = _time.GetUtcNow(),
        Uptime = _time.GetElapsedTime(_startedTimestamp),
        HostIds = _hosts.All.Select(h => h.Id).ToArray(),
        CommandsInFlight = _activity.CommandsInFlight,
        Circuits = _hosts.All.Select(h => h.Circuit.Snapshot()).ToArray(),
    };

    private async Task InventoryLoopAsync(IMessageQueue results, CancellationToken stoppingToken)
    {
        var nextFull = _time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = nextFull - _time.GetUtcNow();
            IEnumerable<LdPlayerHost> due;
            if (wait <= TimeSpan.Zero)
            {
                due = _hosts.All;
                nextFull = _time.GetUtcNow() + _options.InventoryInterval;
            }
            else
            {
                var changed = await NextChangesAsync(wait, stoppingToken);
                if (changed is null)
                {
                    continue;
                }

                due = _hosts.All.Where(h => changed.Contains(h.Id));
            }

            foreach (var host in due)
            {
                var (emulators, error) = await ListQuietlyAsync(host, stoppingToken);
                await SendAsync(results, InventoryJson.Report(_siteId, host.Id, _time.GetUtcNow(), emulators, error), stoppingToken);
            }
        }
    }

    /// <summary>Waits up to <paramref name="wait"/> for changed hosts, then gathers the burst within the debounce window.</summary>
    private async Task<HashSet<string>?> NextChangesAsync(TimeSpan wait, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(wait);
        try
        {
            var first = await _activity.ChangedHosts.ReadAsync(timeout.Token);
            await Task.Delay(_options.InventoryDebounce, _time, stoppingToken);
            var changed = new HashSet<string>(StringComparer.Ordinal) { first };
            while (_activity.ChangedHosts.TryRead(out var more))
            {
                changed.Add(more);
            }

            return changed;
        }
        catch (OperationCanceledException)
        {
            // Either the wait ran out (time for the full inventory) or the relay is stopping.
            return null;
        }
    }

    private async Task<(IReadOnlyList<EmulatorInfo>? Emulators, string? Error)> ListQuietlyAsync(LdPlayerHost host, CancellationToken stoppingToken)
    {
        try
        {
            return await _driver.ListAsync(host, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (null, ex.Message);
        }
    }

    private async Task SendAsync(IMessageQueue results, RelayReport report, CancellationToken stoppingToken)
    {
        try
        {
            // Reports older than a few periods are useless; let the broker drop them if nobody reads.
            var ttl = TimeSpan.FromTicks(Math.Max(_options.HeartbeatInterval.Ticks, _options.InventoryInterval.Ticks) * 3);
            await results.SendAsync(new OutboundMessage(ProtocolJson.Serialize(report)) { TimeToLive = ttl }, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogSendFailed(_logger, ex, report.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Sending a {Report} failed; the next period tries again")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string report);
}
