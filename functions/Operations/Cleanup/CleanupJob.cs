using System.ComponentModel.DataAnnotations;
using Azure.Data.Tables;
using LdFleet.Functions.Batches;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations.Exclusivity;
using LdFleet.Functions.Operations.Orchestration;
using Microsoft.DurableTask.Client;
using LdFleet.Functions.Storage;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Operations.Cleanup;

internal sealed class CleanupOptions
{
    public const string SectionName = "Cleanup";

    /// <summary>Finished operations and batches older than this are deleted, with their orchestrations' history.</summary>
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
internal sealed record CleanupReport(int OperationsPurged, int OperationsExpired, int OperationsReconciled, int BatchesPurged, int InstancesPurged, int RelaysMarkedOffline, int EmulatorsFreed = 0);

/// <summary>
/// Housekeeping: purges finished operations and batches past retention (rows and orchestration history), expires
/// operations still running far beyond any deadline, brings rows up to date whose orchestration ended without
/// recording it, and marks relays offline once their heartbeats stop. Reads only key ranges (ids sort by creation
/// time), the one-partition relay table, and the emulator lock table (which holds only running and waiting operations):
/// an emulator held by an operation that ended without handing it on is freed and the next in line woken.
/// </summary>
internal sealed partial class CleanupJob
{
    private readonly OperationStore _operations;
    private readonly DurableClientScope _durable;
    private readonly BatchStore _batches;
    private readonly EmulatorLocks _locks;
    private readonly TableClient _relays;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<CleanupOptions> _options;
    private readonly IOptionsMonitor<RelaysOptions> _relayOptions;
    private readonly ILogger<CleanupJob> _logger;

    public CleanupJob(
        OperationStore operations,
        DurableClientScope durable,
        BatchStore batches,
        EmulatorLocks locks,
        TableServiceClient tables,
        TimeProvider time,
        IOptionsMonitor<CleanupOptions> options,
        IOptionsMonitor<RelaysOptions> relayOptions,
        ILogger<CleanupJob> logger)
    {
        _operations = operations;
        _durable = durable;
        _batches = batches;
        _locks = locks;
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
        int purged = 0, expired = 0, reconciled = 0, batchesPurged = 0;

        var scanBefore = now - (options.ExpireAfter < options.Retention ? options.ExpireAfter : options.Retention);
        await foreach (var row in _operations.FindCreatedBeforeAsync(scanBefore, cancellationToken))
        {
            if (row.Status.IsTerminal())
            {
                if (now - row.CreatedAt > options.Retention)
                {
                    await _durable.Client.PurgeInstanceAsync(row.Id, cancellation: cancellationToken);
                    await _operations.DeleteAsync(row.Id, cancellationToken);
                    purged++;
                }

                continue;
            }

            if (now - row.CreatedAt <= options.ExpireAfter)
            {
                continue;
            }

            // The row says it runs: ask the orchestration.
            var instance = await _durable.Client.GetInstanceAsync(row.Id, getInputsAndOutputs: true, cancellationToken);
            if (instance is null)
            {
                // Recorded, but its start never happened (the API failed in between): nothing ran. Within the start
                // grace the instance may still appear, so the row is left as it is until a later run.
                if (OperationViews.FromRowWithoutInstance(row, now) is { } unstarted && unstarted.Status.IsTerminal())
                {
                    await _operations.RecordEndAsync(unstarted, cancellationToken);
                    reconciled++;
                }
            }
            else if (instance.IsCompleted)
            {
                // Ended, but its last activity could not write the row.
                await _operations.RecordEndAsync(OperationViews.FromInstance(instance, row), cancellationToken);
                reconciled++;
            }
            else
            {
                await _durable.Client.RaiseEventAsync(row.Id, OperationEvents.Stop, new StopRequest(StopKind.Expire), cancellationToken);
                LogExpired(_logger, row.Id, row.CreatedAt);
                expired++;
            }
        }

        await foreach (var (id, status) in _batches.FindCreatedBeforeAsync(now - options.Retention, cancellationToken))
        {
            if (status is null || status.Value.IsTerminal())
            {
                await _durable.Client.PurgeInstanceAsync(id, cancellation: cancellationToken);
                await _batches.PurgeAsync(id, cancellationToken);
                batchesPurged++;
            }
        }

        // Whatever else ended long ago (instances whose rows are gone: a batch's earlier generations, strays).
        var terminal = new[] { OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated };
        var instances = await _durable.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(CreatedTo: now - options.Retention, Statuses: terminal), cancellation: cancellationToken);

        var offline = await MarkRelaysOfflineAsync(now, cancellationToken);
        var freed = await FreeAbandonedEmulatorsAsync(now, cancellationToken);
        var report = new CleanupReport(purged, expired, reconciled, batchesPurged, instances.PurgedInstanceCount, offline, freed);
        LogCleaned(_logger, report.OperationsPurged, report.OperationsExpired, report.OperationsReconciled, report.BatchesPurged, report.InstancesPurged, report.RelaysMarkedOffline, report.EmulatorsFreed);
        return report;
    }

    /// <summary>
    /// Removes lock rows of operations that ended without handing their emulator on (or whose start never happened),
    /// and wakes whoever is next. Rows younger than the start grace are left alone: their orchestration may not exist yet.
    /// </summary>
    private async Task<int> FreeAbandonedEmulatorsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var freed = 0;
        var ended = new Dictionary<string, bool>(StringComparer.Ordinal);
        await foreach (var entry in _locks.ListAsync(cancellationToken))
        {
            if (now - entry.Since <= OperationViews.StartGrace)
            {
                continue;
            }

            if (!ended.TryGetValue(entry.OperationId, out var isEnded))
            {
                var instance = await _durable.Client.GetInstanceAsync(entry.OperationId, getInputsAndOutputs: false, cancellationToken);
                ended[entry.OperationId] = isEnded = instance is null || instance.IsCompleted;
            }

            if (!isEnded)
            {
                continue;
            }

            var next = await _locks.EvictAsync(entry, cancellationToken);
            if (entry.IsHolder)
            {
                LogEmulatorFreed(_logger, entry.OperationId, entry.Emulator.SiteId, entry.Emulator.HostId, entry.Emulator.Index);
                freed++;
            }

            if (next is not null)
            {
                await _durable.Client.RaiseEventAsync(next, OperationEvents.EmulatorFree, "cleanup", cancellationToken);
            }
        }

        return freed;
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

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "Cleanup: {Purged} operations purged, {Expired} expired, {Reconciled} rows brought up to date, {Batches} batches purged, {Instances} more instances purged, {Offline} relays marked offline, {Freed} emulators freed")]
    private static partial void LogCleaned(ILogger logger, int purged, int expired, int reconciled, int batches, int instances, int offline, int freed);

    [LoggerMessage(EventId = 2305, Level = LogLevel.Warning, Message = "{OperationId}: ended without handing on emulator {SiteId}/{HostId}/{Index}; freed it")]
    private static partial void LogEmulatorFreed(ILogger logger, string operationId, string siteId, string hostId, int index);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Warning, Message = "{OperationId}: still running since {CreatedAt}, past Cleanup:ExpireAfter; told to stop (it ends TimedOut/Expired)")]
    private static partial void LogExpired(ILogger logger, string operationId, DateTimeOffset createdAt);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "Relay of site {SiteId} is offline (last heartbeat {LastHeartbeat})")]
    private static partial void LogRelayOffline(ILogger logger, string siteId, DateTimeOffset? lastHeartbeat);
}

/// <summary>Runs <see cref="CleanupJob"/> on a timer when the app is self-hosted.</summary>
internal sealed partial class CleanupTimer : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<CleanupOptions> _options;
    private readonly ILogger<CleanupTimer> _logger;

    public CleanupTimer(IServiceScopeFactory scopes, TimeProvider time, IOptionsMonitor<CleanupOptions> options, ILogger<CleanupTimer> logger)
    {
        _scopes = scopes;
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
                await using var scope = _scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<CleanupJob>().RunOnceAsync(stoppingToken);
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
