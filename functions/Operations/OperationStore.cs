using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using LdFleet.Functions.Storage;

namespace LdFleet.Functions.Operations;

/// <summary>Filters for listing operations.</summary>
internal sealed record OperationQuery(string? SiteId = null, OperationStatus? Status = null, string? Workflow = null, string? BatchId = null, DateTimeOffset? CreatedAfter = null);

/// <summary>
/// The operations read model: one row per operation in its own partition, for listings and filters. The
/// orchestration owns progress; a row holds what an operation is (written when it starts) and, once it ended, how it
/// ended with its steps (written by its last activity). While an operation runs its row says <c>Pending</c>, and
/// listings ask the orchestration for the live state. The partition key is the operation id, a version-7 GUID whose
/// text sorts by creation time, so the table is its own creation-time index (listings and the cleanup read key ranges).
/// </summary>
internal sealed class OperationStore
{
    private const string StateRowKey = "state";

    // Table string properties hold 64 KiB (32K UTF-16 characters); the steps of a long sequence can exceed one.
    private const int ChunkChars = 30_000;
    private const int MaxChunks = 16;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly TableClient _table;

    public OperationStore(TableServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(FleetTables.Operations);
    }

    /// <summary>Writes the row of an operation that is starting (a retried start rewrites the same values).</summary>
    public Task AddStartedAsync(OperationView operation, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(ToEntity(operation, withSteps: false), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Writes several starting operations (a batch's children), each in its own partition.</summary>
    public Task AddStartedAsync(IEnumerable<OperationView> operations, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(operations, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (operation, ct) => await AddStartedAsync(operation, ct));

    /// <summary>Records how an operation ended, with its steps.</summary>
    public Task RecordEndAsync(OperationView operation, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(ToEntity(operation, withSteps: true), TableUpdateMode.Replace, cancellationToken);

    public async Task<OperationView?> ReadAsync(string operationId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(operationId, StateRowKey, cancellationToken: cancellationToken);
        return response.HasValue ? FromEntity(response.Value!) : null;
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

    /// <summary>Operations created before <paramref name="before"/>, as their rows say, for the cleanup.</summary>
    public async IAsyncEnumerable<OperationView> FindCreatedBeforeAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = $"PartitionKey lt '{OperationIds.LowerBound(before)}'";
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return FromEntity(e);
        }
    }

    public const string PagingScope = "operations";

    /// <summary>
    /// A page of rows matching <paramref name="query"/>, oldest first (keyset paging on the id). Not a hot path: a
    /// filtered range scan, bounded below by <see cref="OperationQuery.CreatedAfter"/> when given. A status filter on
    /// an unfinished status matches every unfinished row: the caller refines it with the live status.
    /// </summary>
    public async Task<LdFleet.Functions.Api.ListPage<OperationView>> ListAsync(OperationQuery query, LdFleet.Functions.Api.PageRequest page, CancellationToken cancellationToken)
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
            var stored = status.IsTerminal() ? status : OperationStatus.Pending;
            clauses.Add(TableClient.CreateQueryFilter($"Status eq {stored.ToString()}"));
        }

        if (query.Workflow is not null)
        {
            clauses.Add(TableClient.CreateQueryFilter($"Workflow eq {query.Workflow}"));
        }

        if (query.BatchId is not null)
        {
            clauses.Add(TableClient.CreateQueryFilter($"BatchId eq {query.BatchId}"));
        }

        var items = new List<OperationView>();
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

    private static TableEntity ToEntity(OperationView operation, bool withSteps)
    {
        var entity = new TableEntity(operation.Id, StateRowKey)
        {
            [nameof(OperationView.Workflow)] = operation.Workflow,
            [nameof(OperationView.SiteId)] = operation.SiteId,
            [nameof(OperationView.HostId)] = operation.HostId,
            [nameof(OperationView.Index)] = operation.Index,
            [nameof(OperationView.Status)] = operation.Status.ToString(),
            [nameof(OperationView.CreatedAt)] = operation.CreatedAt,
            [nameof(OperationView.UpdatedAt)] = operation.UpdatedAt,
            [nameof(OperationView.CompletedAt)] = operation.CompletedAt,
            [nameof(OperationView.Parameters)] = operation.Parameters.Count == 0 ? null : JsonSerializer.Serialize(operation.Parameters, Json),
            [nameof(OperationView.Result)] = operation.Result.Count == 0 ? null : JsonSerializer.Serialize(operation.Result, Json),
            [nameof(OperationView.ErrorCode)] = operation.ErrorCode,
            [nameof(OperationView.Error)] = Clip(operation.Error),
            [nameof(OperationView.BatchId)] = operation.BatchId,
            [nameof(OperationView.CreatedBy)] = operation.CreatedBy,
        };
        var steps = withSteps ? JsonSerializer.Serialize(operation.Steps, Json) : "[]";
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

    private static OperationView FromEntity(TableEntity entity)
    {
        var steps = new StringBuilder();
        for (var chunk = 0; entity.GetString(ChunkName(chunk)) is { } part; chunk++)
        {
            steps.Append(part);
        }

        return new OperationView(
            entity.PartitionKey,
            entity.GetString(nameof(OperationView.Workflow)),
            entity.GetString(nameof(OperationView.SiteId)),
            entity.GetString(nameof(OperationView.HostId)),
            entity.GetInt32(nameof(OperationView.Index)),
            Enum.Parse<OperationStatus>(entity.GetString(nameof(OperationView.Status))),
            entity.GetDateTimeOffset(nameof(OperationView.CreatedAt)) ?? default,
            entity.GetDateTimeOffset(nameof(OperationView.UpdatedAt)) ?? default,
            entity.GetDateTimeOffset(nameof(OperationView.CompletedAt)),
            Deserialize<Dictionary<string, string>>(entity, nameof(OperationView.Parameters)) ?? new Dictionary<string, string>(),
            Deserialize<Dictionary<string, string>>(entity, nameof(OperationView.Result)) ?? new Dictionary<string, string>(),
            entity.GetString(nameof(OperationView.ErrorCode)),
            entity.GetString(nameof(OperationView.Error)),
            entity.GetString(nameof(OperationView.BatchId)),
            entity.GetString(nameof(OperationView.CreatedBy)),
            steps.Length == 0 ? [] : JsonSerializer.Deserialize<List<StepView>>(steps.ToString(), Json) ?? []);
    }

    private static string ChunkName(int chunk) => chunk == 0 ? "Steps" : string.Create(CultureInfo.InvariantCulture, $"Steps{chunk}");

    private static T? Deserialize<T>(TableEntity entity, string name) =>
        entity.GetString(name) is { } json ? JsonSerializer.Deserialize<T>(json, Json) : default;

    private static string? Clip(string? text) => text is { Length: > 8000 } ? text[..8000] : text;
}

/// <summary>Operation (and batch) ids: version-7 GUIDs in "N" format, whose text order is creation order.</summary>
internal static class OperationIds
{
    public static string New(DateTimeOffset now) => Guid.CreateVersion7(now).ToString("N");

    /// <summary>The smallest id that can be created at <paramref name="at"/> or later (the 48-bit millisecond prefix).</summary>
    public static string LowerBound(DateTimeOffset at) =>
        Math.Max(0, at.ToUnixTimeMilliseconds()).ToString("x12", CultureInfo.InvariantCulture);

    public static bool IsWellFormed(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    /// <summary>When an id was made (its 48-bit millisecond prefix); ids that are not version-7 GUIDs give the epoch.</summary>
    public static DateTimeOffset CreatedAt(string id) =>
        id.Length >= 12 && long.TryParse(id.AsSpan(0, 12), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.UnixEpoch;
}
