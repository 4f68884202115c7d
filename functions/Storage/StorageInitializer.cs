using Azure.Data.Tables;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;

namespace LdFleet.Functions.Storage;

/// <summary>
/// Creates tables and the results queue before the app serves requests, so no hot path needs a
/// create-if-missing round trip. Runs as a hosted service: a storage outage at boot fails the start loudly.
/// </summary>
internal sealed partial class StorageInitializer : IHostedService
{
    private readonly TableServiceClient _tables;
    private readonly IMessageQueueFactory _queues;
    private readonly ILogger<StorageInitializer> _logger;

    public StorageInitializer(TableServiceClient tables, IMessageQueueFactory queues, ILogger<StorageInitializer> logger)
    {
        _tables = tables;
        _queues = queues;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var table in FleetTables.All)
        {
            await _tables.CreateTableIfNotExistsAsync(table, cancellationToken);
        }

        await _queues.Open(QueueNames.Results).EnsureExistsAsync(cancellationToken);
        LogReady(_logger, FleetTables.All.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Storage ready: {TableCount} tables and the results queue exist")]
    private static partial void LogReady(ILogger logger, int tableCount);
}
