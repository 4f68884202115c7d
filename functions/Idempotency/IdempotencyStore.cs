using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using LdFleet.Functions.Storage;

namespace LdFleet.Functions.Idempotency;

/// <summary>The response a key answers with.</summary>
internal sealed record StoredResponse(int Status, string? Location, string? ContentType, byte[]? Body);

/// <summary>What claiming a key found.</summary>
internal abstract record IdempotencyClaim
{
    /// <summary>The key is ours: run the request, then <see cref="IdempotencyStore.CompleteAsync"/> or release it.</summary>
    public sealed record Claimed(ETag ETag) : IdempotencyClaim;

    /// <summary>The key answered before: replay that answer.</summary>
    public sealed record Completed(StoredResponse Response) : IdempotencyClaim;

    /// <summary>Another request with this key is still running.</summary>
    public sealed record InProgress : IdempotencyClaim;

    /// <summary>The key was used with a different request.</summary>
    public sealed record Mismatch : IdempotencyClaim;
}

/// <summary>
/// (caller, key) -> response, in Azure Tables. The first request inserts a pending row; the insert is atomic,
/// so of concurrent duplicates exactly one runs. Rows live until their expiry; expired rows count as absent
/// and <see cref="PurgeExpiredAsync"/> removes them (for the cleanup job).
/// </summary>
internal sealed class IdempotencyStore
{
    // Table properties hold at most 64 KiB; larger answers are replayed as status and Location only.
    private const int MaxStoredBody = 60 * 1024;
    private const string Pending = "pending";
    private const string Done = "done";

    private readonly TableClient _table;

    public IdempotencyStore(TableServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(FleetTables.Idempotency);
    }

    /// <summary>Row key for a client's key: a digest, since keys may hold characters table keys forbid.</summary>
    public static string RowKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public async Task<IdempotencyClaim> ClaimAsync(string callerKey, string key, string fingerprint, DateTimeOffset now, IdempotencyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rowKey = RowKey(key);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var row = new TableEntity(callerKey, rowKey)
            {
                ["State"] = Pending,
                ["Fingerprint"] = fingerprint,
                ["LeaseUntil"] = now + options.Lease,
                ["ExpiresAt"] = now + options.Retention,
            };
            try
            {
                var added = await _table.AddEntityAsync(row, cancellationToken);
                return new IdempotencyClaim.Claimed(added.Headers.ETag ?? ETag.All);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
            }

            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(callerKey, rowKey, cancellationToken: cancellationToken);
            if (!existing.HasValue)
            {
                continue;
            }

            var found = existing.Value!;
            if (found.GetDateTimeOffset("ExpiresAt") <= now)
            {
                await DeleteQuietlyAsync(found, cancellationToken);
                continue;
            }

            if (found.GetString("Fingerprint") != fingerprint)
            {
                return new IdempotencyClaim.Mismatch();
            }

            if (found.GetString("State") == Done)
            {
                return new IdempotencyClaim.Completed(new StoredResponse(found.GetInt32("Status") ?? 200, found.GetString("Location"), found.GetString("ContentType"), found.GetBinary("Body")));
            }

            if (found.GetDateTimeOffset("LeaseUntil") > now)
            {
                return new IdempotencyClaim.InProgress();
            }

            // The request holding the key died without answering: take the key over, conditionally, so only
            // one of several waiting duplicates does.
            try
            {
                var taken = await _table.UpdateEntityAsync(row, found.ETag, TableUpdateMode.Replace, cancellationToken);
                return new IdempotencyClaim.Claimed(taken.Headers.ETag ?? ETag.All);
            }
            catch (RequestFailedException ex) when (ex.Status is 412 or 404)
            {
            }
        }

        return new IdempotencyClaim.InProgress();
    }

    /// <summary>Records the answer. Returns false if the key was taken over meanwhile (the lease ran out).</summary>
    public async Task<bool> CompleteAsync(string callerKey, string key, ETag claim, string fingerprint, StoredResponse response, DateTimeOffset now, IdempotencyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(options);
        var row = new TableEntity(callerKey, RowKey(key))
        {
            ["State"] = Done,
            ["Fingerprint"] = fingerprint,
            ["ExpiresAt"] = now + options.Retention,
            ["Status"] = response.Status,
            ["Location"] = response.Location,
            ["ContentType"] = response.ContentType,
            ["Body"] = response.Body is { Length: <= MaxStoredBody } body ? body : null,
        };
        try
        {
            await _table.UpdateEntityAsync(row, claim, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>Gives the key up after a failure, so a retry runs the request again.</summary>
    public async Task ReleaseAsync(string callerKey, string key, ETag claim, CancellationToken cancellationToken)
    {
        try
        {
            await _table.DeleteEntityAsync(callerKey, RowKey(key), claim, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
        }
    }

    /// <summary>Deletes expired keys; returns how many. A cross-partition scan, meant for the periodic cleanup job.</summary>
    public async Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var deleted = 0;
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"ExpiresAt lt {now}"), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            deleted += await DeleteQuietlyAsync(row, cancellationToken) ? 1 : 0;
        }

        return deleted;
    }

    private async Task<bool> DeleteQuietlyAsync(TableEntity row, CancellationToken cancellationToken)
    {
        try
        {
            await _table.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag == default ? ETag.All : row.ETag, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }
}
