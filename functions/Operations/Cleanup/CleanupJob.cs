using System.ComponentModel.DataAnnotations;
using Azure.Data.Tables;
using LdFleet.Functions.Batches;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Storage;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Operations.Cleanup;

internal sealed class CleanupOptions
{
    public const string SectionName = "Cleanup";

    /// <summary>Finished operations and batches older than this are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "Cleanup:Retention must be between 1 second and 10 years.")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Unfinished operations older than this are expired (TimedOut): something has held them far beyond any step's deadline.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "Cleanup:ExpireAfter must be between 1 second and 10 years.")]
    public TimeSpan ExpireAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the self-hosted timer runs the job (in Azure the <c>cleanup</c> timer function does).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Cleanup:Interval must be between 1 second and 1 day.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>What one cleanup pass did.</summary>
internal sealed record CleanupReport(int OperationsPurged, int OperationsExpired, int BatchesPurged, int RelaysMarkedOffline);

/// <summary>
/// Housekeeping: purges finished operations and batches past retention, expires operations stuck far beyond
/// their deadlines, and marks relays offline once their heartbeats stop. Reads only key ranges (ids sort by
/// creation time) and the one-partition relay table.
/// </summary>
internal sealed partial class CleanupJob
{
    private readonly OperationStore _operations;
    private readonly OperationEngine _engine;
    private readonly BatchStore _batches;
    private readonly TableClient _relays;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<CleanupOptions> _options;
    private readonly IOptionsMonitor<RelaysOptions> _relayOptions;
    private readonly ILogger<CleanupJob> _logger;

    public CleanupJob(
        OperationStore operations,
        OperationEngine engine,
        BatchStore batches,
        TableServiceClient tables,
        TimeProvider time,
        IOptionsMonitor<CleanupOptions> options,
        IOptionsMonitor<RelaysOptions> relayOptions,
        ILogger<CleanupJob> logger)
    {
        _operations = operations;
        _engine = engine;
        _batches = batches;
        _relays = tables.GetTableClient(FleetTables.Relays);
        _time = time;
        _options = options;
        _relayOptions = relayOptions;
        _logger = logger;
    }

    public async Task<CleanupReport> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var options = _options.CurrentValue;
        int purged = 0, expired = 0, batchesPurged = 0;

        await foreach (var (id, status, hasOutbox) in _operations.FindCreatedBeforeAsync(now - options.ExpireAfter, cancellationToken))
        {
            if (!status.IsTerminal())
            {
                var (outcome, _) = await _engine.ExpireAsync(id, cancellationToken);
                expired += outcome == ApplyOutcome.Applied ? 1 : 0;
            }
            else if (!hasOutbox && OperationIdAge(id, now) > options.Retention)
            {
                await _operations.DeleteAsync(id, cancellationToken);
                purged++;
            }
        }

        await foreach (var (id, status) in _batches.FindCreatedBeforeAsync(now - options.Retention, cancellationToken))
        {
            if (status is null || status.Value.IsTerminal())
            {
                await _batches.PurgeAsync(id, cancellationToken);
                batchesPurged++;
            }
        }

        var offline = await MarkRelaysOfflineAsync(now, cancellationToken);
        var report = new CleanupReport(purged, expired, batchesPurged, offline);
        LogCleaned(_logger, report.OperationsPurged, report.OperationsExpired, report.BatchesPurged, report.RelaysMarkedOffline);
        return report;
    }

    private async Task<int> MarkRelaysOfflineAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var marked = 0;
        var cutoff = now - _relayOptions.CurrentValue.OfflineAfter;
        await foreach (var relay in _relays.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"relay"}"), cancellationToken: cancellationToken))
        {
            if (relay.GetDateTimeOffset("LastHeartbeat") < cutoff && relay.GetBoolean("Offline") != true)
            {
                relay["Offline"] = true;
                relay["OfflineSince"] = now;
                try
                {
                    // Conditional: a heartbeat that lands meanwhile wins.
                    await _relays.UpdateEntityAsync(relay, relay.ETag, TableUpdateMode.Merge, cancellationToken);
                    LogRelayOffline(_logger, relay.RowKey, relay.GetDateTimeOffset("LastHeartbeat"));
                    marked++;
                }
                catch (Azure.RequestFailedException ex) when (ex.Status == 412)
                {
                }
            }
        }

        return marked;
    }

    private static TimeSpan OperationIdAge(string id, DateTimeOffset now) =>
        long.TryParse(id.AsSpan(0, 12), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            ? now - DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : TimeSpan.MaxValue;

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "Cleanup: {Purged} operations purged, {Expired} expired, {Batches} batches purged, {Offline} relays marked offline")]
    private static partial void LogCleaned(ILogger logger, int purged, int expired, int batches, int offline);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "Relay of site {SiteId} is offline (last heartbeat {LastHeartbeat})")]
    private static partial void LogRelayOffline(ILogger logger, string siteId, DateTimeOffset? lastHeartbeat);
}

/// <summary>Runs <see cref="CleanupJob"/> on a timer when the app is self-hosted.</summary>
internal sealed partial class CleanupTimer : BackgroundService
{
    private readonly CleanupJob _job;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<CleanupOptions> _options;
    private readonly ILogger<CleanupTimer> _logger;

    public CleanupTimer(CleanupJob job, TimeProvider time, IOptionsMonitor<CleanupOptions> options, ILogger<CleanupTimer> logger)
    {
        _job = job;
        _time = time;
        _options = options;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.CurrentValue.Interval, _time, stoppingToken);
                await _job.RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(_logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 2303, Level = LogLevel.Warning, Message = "Cleanup failed; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
