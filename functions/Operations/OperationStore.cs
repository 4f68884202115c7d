using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
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

/// <summary>Filters for listing operations.</summary>
internal sealed record OperationQuery(string? SiteId = null, OperationStatus? Status = null, string? Workflow = null, string? BatchId = null, DateTimeOffset? CreatedAfter = null);

/// <summary>
/// Operation rows in Azure Tables: one row in its own partition per operation, so writes to different operations
/// never contend and a hot batch spreads over the partition servers. The partition key is the operation id, a
/// version-7 GUID whose text sorts by creation time: that makes the table its own creation-time index, which the
/// sweep and the cleanup read by key range instead of scanning.
/// </summary>
internal sealed class OperationStore
{
    private const string StateRowKey = "state";

    // Table string properties hold 64 KiB (32K UTF-16 characters); steps with outputs can exceed one.
    private const int ChunkChars = 30_000;
    private const int MaxChunks = 16;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly string[] Terminal = [nameof(OperationStatus.Succeeded), nameof(OperationStatus.Failed), nameof(OperationStatus.TimedOut), nameof(OperationStatus.Cancelled)];

    private readonly TableClient _table;

    public OperationStore(TableServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(FleetTables.Operations);
    }

    /// <summary>Inserts a new operation; returns its ETag, or null if it already exists (a retried create).</summary>
    public async Task<ETag?> InsertAsync(Operation operation, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _table.AddEntityAsync(ToEntity(operation), cancellationToken);
            return response.Headers.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return null;
        }
    }

    public async Task<(Operation Operation, ETag ETag)?> ReadAsync(string operationId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(operationId, StateRowKey, cancellationToken: cancellationToken);
        return response.HasValue ? (FromEntity(response.Value!), response.Value!.ETag) : null;
    }

    /// <summary>Replaces the row if it still has <paramref name="etag"/>; returns the new ETag, or null if someone wrote first.</summary>
    public async Task<ETag?> TryReplaceAsync(Operation operation, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _table.UpdateEntityAsync(ToEntity(operation), etag, TableUpdateMode.Replace, cancellationToken);
            return response.Headers.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return null;
        }
    }

    public async Task DeleteAsync(string operationId, CancellationToken cancellationToken)
    {
        try
        {
            await _table.DeleteEntityAsync(operationId, StateRowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    /// <summary>Ids of operations created in [from, to) that still owe something (unfinished, or an unsent outbox).</summary>
    public IAsyncEnumerable<string> FindOpenCreatedAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var open = string.Join(" and ", Terminal.Select(s => $"Status ne '{s}'"));
        var filter = $"{KeyRange(from, to)} and (HasOutbox eq true or ({open}))";
        return QueryKeysAsync(filter, cancellationToken);
    }

    /// <summary>Operations created before <paramref name="before"/>, with their status, for the cleanup.</summary>
    public async IAsyncEnumerable<(string Id, OperationStatus Status, bool HasOutbox)> FindCreatedBeforeAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = $"PartitionKey lt '{OperationIds.LowerBound(before)}'";
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "Status", "HasOutbox"], cancellationToken: cancellationToken))
        {
            yield return (e.PartitionKey, Enum.Parse<OperationStatus>(e.GetString("Status")), e.GetBoolean("HasOutbox") == true);
        }
    }

    public const string PagingScope = "operations";

    /// <summary>
    /// A page of operations matching <paramref name="query"/>, oldest first (keyset paging on the id). Not a hot
    /// path: a filtered range scan, bounded below by <see cref="OperationQuery.CreatedAfter"/> when given.
    /// </summary>
    public async Task<LdFleet.Functions.Api.ListPage<Operation>> ListAsync(OperationQuery query, LdFleet.Functions.Api.PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(page);
        var clauses = new List<string> { "RowKey eq 'state'" };
        if (query.CreatedAfter is { } after)
        {
            clauses.Add($"PartitionKey ge '{OperationIds.LowerBound(after)}'");
        }

        if (page.After is { } resume)
        {
            clauses.Add(TableClient.CreateQueryFilter($"PartitionKey gt {resume.PartitionKey}"));
        }

        if (query.SiteId is not null)
        {
            clauses.Add(TableClient.CreateQueryFilter($"SiteId eq {query.SiteId}"));
        }

        if (query.Status is { } status)
        {
            clauses.Add(TableClient.CreateQueryFilter($"Status eq {status.ToString()}"));
        }

        if (query.Workflow is not null)
        {
            clauses.Add(TableClient.CreateQueryFilter($"Workflow eq {query.Workflow}"));
        }

        if (query.BatchId is not null)
        {
            clauses.Add(TableClient.CreateQueryFilter($"BatchId eq {query.BatchId}"));
        }

        var items = new List<Operation>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(string.Join(" and ", clauses), maxPerPage: page.PageSize, cancellationToken: cancellationToken))
        {
            items.Add(FromEntity(entity));
            if (items.Count == page.PageSize)
            {
                return new(items, new LdFleet.Functions.Api.ContinuationToken(PagingScope, entity.PartitionKey, entity.RowKey));
            }
        }

        return new(items, null);
    }

    private static string KeyRange(DateTimeOffset from, DateTimeOffset to) =>
        $"PartitionKey ge '{OperationIds.LowerBound(from)}' and PartitionKey lt '{OperationIds.LowerBound(to)}'";

    private async IAsyncEnumerable<string> QueryKeysAsync(string filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, select: ["PartitionKey"], cancellationToken: cancellationToken))
        {
            yield return entity.PartitionKey;
        }
    }

    internal static TableEntity ToEntity(Operation operation)
    {
        var entity = new TableEntity(operation.Id, StateRowKey)
        {
            [nameof(Operation.Workflow)] = operation.Workflow,
            [nameof(Operation.SiteId)] = operation.SiteId,
            [nameof(Operation.HostId)] = operation.HostId,
            [nameof(Operation.Index)] = operation.Index,
            [nameof(Operation.Status)] = operation.Status.ToString(),
            [nameof(Operation.CreatedAt)] = operation.CreatedAt,
            [nameof(Operation.UpdatedAt)] = operation.UpdatedAt,
            [nameof(Operation.CompletedAt)] = operation.CompletedAt,
            [nameof(Operation.Parameters)] = operation.Parameters.Count == 0 ? null : JsonSerializer.Serialize(operation.Parameters, Json),
            [nameof(Operation.Script)] = operation.Script.IsDefaultOrEmpty ? null : JsonSerializer.Serialize(operation.Script, Json),
            [nameof(Operation.Outbox)] = operation.Outbox is null ? null : JsonSerializer.Serialize(operation.Outbox, Json),
            ["HasOutbox"] = operation.Outbox is not null,
            [nameof(Operation.Result)] = operation.Result.Count == 0 ? null : JsonSerializer.Serialize(operation.Result, Json),
            [nameof(Operation.ErrorCode)] = operation.ErrorCode,
            [nameof(Operation.Error)] = Clip(operation.Error),
            [nameof(Operation.BatchId)] = operation.BatchId,
            [nameof(Operation.BatchItem)] = operation.BatchItem,
            [nameof(Operation.CreatedBy)] = operation.CreatedBy,
            [nameof(Operation.CancelRequestedAt)] = operation.CancelRequestedAt,
            [nameof(Operation.IndexedFor)] = operation.IndexedFor,
            [nameof(Operation.TraceParent)] = operation.TraceParent,
            [nameof(Operation.TraceState)] = operation.TraceState,
        };
        var steps = JsonSerializer.Serialize(operation.Steps.IsDefault ? [] : operation.Steps, Json);
        for (var chunk = 0; chunk * ChunkChars < steps.Length || chunk == 0; chunk++)
        {
            if (chunk >= MaxChunks)
            {
                throw new InvalidOperationException($"Operation {operation.Id} has more step data than a table row holds.");
            }

            entity[ChunkName(chunk)] = steps.Substring(chunk * ChunkChars, Math.Min(ChunkChars, steps.Length - (chunk * ChunkChars)));
        }

        return entity;
    }

    internal static Operation FromEntity(TableEntity entity)
    {
        var steps = new StringBuilder();
        for (var chunk = 0; entity.GetString(ChunkName(chunk)) is { } part; chunk++)
        {
            steps.Append(part);
        }

        return new Operation
        {
            Id = entity.PartitionKey,
            Workflow = entity.GetString(nameof(Operation.Workflow)),
            SiteId = entity.GetString(nameof(Operation.SiteId)),
            HostId = entity.GetString(nameof(Operation.HostId)),
            Index = entity.GetInt32(nameof(Operation.Index)),
            Status = Enum.Parse<OperationStatus>(entity.GetString(nameof(Operation.Status))),
            CreatedAt = entity.GetDateTimeOffset(nameof(Operation.CreatedAt)) ?? default,
            UpdatedAt = entity.GetDateTimeOffset(nameof(Operation.UpdatedAt)) ?? default,
            CompletedAt = entity.GetDateTimeOffset(nameof(Operation.CompletedAt)),
            Parameters = Deserialize<Dictionary<string, string>>(entity, nameof(Operation.Parameters)) is { } p ? p.ToImmutableSorted() : System.Collections.Immutable.ImmutableDictionary<string, string>.Empty,
            Script = Deserialize<System.Collections.Immutable.ImmutableArray<SequenceStep>?>(entity, nameof(Operation.Script)) ?? [],
            Steps = steps.Length == 0 ? [] : JsonSerializer.Deserialize<System.Collections.Immutable.ImmutableArray<Step>>(steps.ToString(), Json),
            Outbox = Deserialize<Outbox>(entity, nameof(Operation.Outbox)),
            Result = Deserialize<Dictionary<string, string>>(entity, nameof(Operation.Result)) is { } r ? r.ToImmutableSorted() : System.Collections.Immutable.ImmutableDictionary<string, string>.Empty,
            ErrorCode = entity.GetString(nameof(Operation.ErrorCode)),
            Error = entity.GetString(nameof(Operation.Error)),
            BatchId = entity.GetString(nameof(Operation.BatchId)),
            BatchItem = entity.GetInt32(nameof(Operation.BatchItem)),
            CreatedBy = entity.GetString(nameof(Operation.CreatedBy)),
            CancelRequestedAt = entity.GetDateTimeOffset(nameof(Operation.CancelRequestedAt)),
            IndexedFor = entity.GetDateTimeOffset(nameof(Operation.IndexedFor)),
            TraceParent = entity.GetString(nameof(Operation.TraceParent)),
            TraceState = entity.GetString(nameof(Operation.TraceState)),
        };
    }

    private static string ChunkName(int chunk) => chunk == 0 ? "Steps" : string.Create(CultureInfo.InvariantCulture, $"Steps{chunk}");

    private static T? Deserialize<T>(TableEntity entity, string name) =>
        entity.GetString(name) is { } json ? JsonSerializer.Deserialize<T>(json, Json) : default;

    private static string? Clip(string? text) => text is { Length: > 8000 } ? text[..8000] : text;
}

internal static class DictionaryExtensions
{
    public static System.Collections.Immutable.ImmutableDictionary<string, string> ToImmutableSorted(this Dictionary<string, string> source) =>
        source.ToImmutableDictionary(StringComparer.Ordinal);
}

/// <summary>Operation (and batch) ids: version-7 GUIDs in "N" format, whose text order is creation order.</summary>
internal static class OperationIds
{
    public static string New(DateTimeOffset now) => Guid.CreateVersion7(now).ToString("N");

    /// <summary>The smallest id that can be created at <paramref name="at"/> or later (the 48-bit millisecond prefix).</summary>
    public static string LowerBound(DateTimeOffset at) =>
        Math.Max(0, at.ToUnixTimeMilliseconds()).ToString("x12", CultureInfo.InvariantCulture);

    public static bool IsWellFormed(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);
}
