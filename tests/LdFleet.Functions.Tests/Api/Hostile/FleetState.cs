using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using LdFleet.Functions.Storage;

namespace LdFleet.Functions.Tests.Api.Hostile;

/// <summary>
/// The fleet's state as rows, queues and blobs, to compare before and after requests that must change nothing. The
/// audit and idempotency tables are left out (refused calls are audited by design), and so is the Durable Task
/// backend's own storage, which changes with time rather than with requests: its queues and lease blobs (polling, lease
/// renewals) under task hub "ldfleet", and its instances and history, which live in tables of their own.
/// </summary>
internal static class FleetState
{
    public static async Task<string> SnapshotAsync(string connectionString)
    {
        var lines = new List<string>();
        var tables = new TableServiceClient(connectionString);
        foreach (var table in FleetTables.All.Except([FleetTables.Audit, FleetTables.Idempotency]))
        {
            await foreach (var row in tables.GetTableClient(table).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
            {
                lines.Add($"{table}|{row.PartitionKey}|{row.RowKey}|{row.ETag}");
            }
        }

        var queues = new QueueServiceClient(connectionString);
        await foreach (var queue in queues.GetQueuesAsync())
        {
            if (!IsTaskHubs(queue.Name))
            {
                var properties = await queues.GetQueueClient(queue.Name).GetPropertiesAsync();
                lines.Add($"queue|{queue.Name}|{properties.Value.ApproximateMessagesCount}");
            }
        }

        var blobs = new BlobServiceClient(connectionString);
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            if (!IsTaskHubs(container.Name))
            {
                await foreach (var blob in blobs.GetBlobContainerClient(container.Name).GetBlobsAsync())
                {
                    lines.Add($"blob|{container.Name}|{blob.Name}|{blob.Properties.ETag}");
                }
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    private static bool IsTaskHubs(string name) =>
        name.StartsWith("ldfleet-control-", StringComparison.Ordinal) || name is "ldfleet-workitems" or "ldfleet-leases" or "ldfleet-applease" or "ldfleet-largemessages";
}
