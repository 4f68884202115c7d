using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Operations;

/// <summary>What became of a conditional update.</summary>
internal enum ApplyOutcome
{
    /// <summary>The new state was written.</summary>
    Applied,

    /// <summary>The decider said "no change" (a duplicate, stale or late event).</summary>
    Unchanged,

    /// <summary>There is no such operation.</summary>
    NotFound,
}

/// <summary>
/// Operation rows in Azure Tables, one partition per operation (so writes to different operations never
/// contend). Every update is conditional on the ETag that was read.
/// </summary>
internal sealed class OperationStore
{
    private const string StateRowKey = "state";
    private const int MaxConflictRetries = 10;

    private readonly TableClient _table;

    public OperationStore(TableServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(FleetTables.Operations);
    }

    public Task CreateAsync(Operation operation, CancellationToken cancellationToken) =>
        _table.AddEntityAsync(ToEntity(operation), cancellationToken);

    public async Task<Operation?> GetAsync(string operationId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(operationId, StateRowKey, cancellationToken: cancellationToken);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <summary>
    /// Loads the operation, lets <paramref name="decide"/> compute the next state, and writes it if the row
    /// did not change in between; on a conflict it reloads and decides again.
    /// </summary>
    public async Task<(ApplyOutcome Outcome, Operation? Operation)> ApplyAsync(string operationId, Func<Operation, Operation?> decide, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await _table.GetEntityIfExistsAsync<TableEntity>(operationId, StateRowKey, cancellationToken: cancellationToken);
            if (!response.HasValue)
            {
                return (ApplyOutcome.NotFound, null);
            }

            var current = FromEntity(response.Value!);
            var next = decide(current);
            if (next is null)
            {
                return (ApplyOutcome.Unchanged, current);
            }

            try
            {
                await _table.UpdateEntityAsync(ToEntity(next), response.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                return (ApplyOutcome.Applied, next);
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < MaxConflictRetries)
            {
                // Another instance advanced the row first: decide again on what it wrote.
            }
        }
    }

    /// <summary>
    /// Ids of pending operations whose command is due to be sent (a retry's time came, or a send was never
    /// confirmed). A cross-partition query: fine for the sweep's low rate, but a time-bucketed deadline index
    /// should replace it as operation counts grow.
    /// </summary>
    public IAsyncEnumerable<string> FindSendDueAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        FindIdsAsync(TableClient.CreateQueryFilter($"Status eq {nameof(OperationStatus.Pending)} and SendAt le {now}"), cancellationToken);

    /// <summary>Ids of unfinished operations whose answer deadline passed before <paramref name="now"/>.</summary>
    public IAsyncEnumerable<string> FindOverdueAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        FindIdsAsync(
            TableClient.CreateQueryFilter(
                $"(Status eq {nameof(OperationStatus.Pending)} or Status eq {nameof(OperationStatus.Dispatched)} or Status eq {nameof(OperationStatus.Running)}) and AnswerBy lt {now}"),
            cancellationToken);

    private async IAsyncEnumerable<string> FindIdsAsync(string filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Only the key is read: the sweep reloads each operation with its ETag before changing it.
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, select: ["PartitionKey"], cancellationToken: cancellationToken))
        {
            yield return entity.PartitionKey;
        }
    }

    private static TableEntity ToEntity(Operation operation) => new(operation.Id, StateRowKey)
    {
        [nameof(Operation.Action)] = operation.Action,
        [nameof(Operation.SiteId)] = operation.SiteId,
        [nameof(Operation.HostId)] = operation.HostId,
        [nameof(Operation.Index)] = operation.Index,
        [nameof(Operation.Status)] = operation.Status.ToString(),
        [nameof(Operation.Attempt)] = operation.Attempt,
        [nameof(Operation.CommandId)] = operation.CommandId,
        [nameof(Operation.CreatedAt)] = operation.CreatedAt,
        [nameof(Operation.UpdatedAt)] = operation.UpdatedAt,
        [nameof(Operation.DeliverBy)] = operation.DeliverBy,
        [nameof(Operation.AnswerBy)] = operation.AnswerBy,
        [nameof(Operation.DispatchedAt)] = operation.DispatchedAt,
        [nameof(Operation.CompletedAt)] = operation.CompletedAt,
        [nameof(Operation.RelayStartedAt)] = operation.RelayStartedAt,
        [nameof(Operation.SendAt)] = operation.SendAt,
        [nameof(Operation.ExitCode)] = operation.ExitCode,
        [nameof(Operation.Output)] = operation.Output,
        [nameof(Operation.ErrorCode)] = operation.ErrorCode,
        [nameof(Operation.Error)] = operation.Error,
        [nameof(Operation.PendingCommand)] = operation.PendingCommand is null ? null : JsonSerializer.Serialize(operation.PendingCommand, ProtocolJson.Options),
    };

    private static Operation FromEntity(TableEntity entity)
    {
        var pending = entity.GetString(nameof(Operation.PendingCommand));
        return new Operation
        {
            Id = entity.PartitionKey,
            Action = entity.GetString(nameof(Operation.Action)),
            SiteId = entity.GetString(nameof(Operation.SiteId)),
            HostId = entity.GetString(nameof(Operation.HostId)),
            Index = entity.GetInt32(nameof(Operation.Index)) ?? -1,
            Status = Enum.Parse<OperationStatus>(entity.GetString(nameof(Operation.Status))),
            Attempt = entity.GetInt32(nameof(Operation.Attempt)) ?? 0,
            CommandId = entity.GetString(nameof(Operation.CommandId)),
            CreatedAt = entity.GetDateTimeOffset(nameof(Operation.CreatedAt)) ?? default,
            UpdatedAt = entity.GetDateTimeOffset(nameof(Operation.UpdatedAt)) ?? default,
            DeliverBy = entity.GetDateTimeOffset(nameof(Operation.DeliverBy)) ?? default,
            AnswerBy = entity.GetDateTimeOffset(nameof(Operation.AnswerBy)) ?? default,
            DispatchedAt = entity.GetDateTimeOffset(nameof(Operation.DispatchedAt)),
            CompletedAt = entity.GetDateTimeOffset(nameof(Operation.CompletedAt)),
            RelayStartedAt = entity.GetDateTimeOffset(nameof(Operation.RelayStartedAt)),
            SendAt = entity.GetDateTimeOffset(nameof(Operation.SendAt)),
            ExitCode = entity.GetInt32(nameof(Operation.ExitCode)),
            Output = entity.GetString(nameof(Operation.Output)),
            ErrorCode = entity.GetString(nameof(Operation.ErrorCode)),
            Error = entity.GetString(nameof(Operation.Error)),
            PendingCommand = pending is null ? null : JsonSerializer.Deserialize<EmulatorCommand>(pending, ProtocolJson.Options),
        };
    }
}
