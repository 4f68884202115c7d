using System.Globalization;
using System.Net;
using Azure;
using Azure.Data.Tables;
using LdFleet.Functions.Operations.Orchestration;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Operations.Exclusivity;

/// <summary>One emulator, the unit of exclusivity: the index on a host of a site.</summary>
internal sealed record EmulatorLock(string SiteId, string HostId, int Index)
{
    /// <summary>
    /// The lock an operation takes, or null when it needs none: it targets no existing emulator (a provision creates
    /// one, host-wide actions) or only reads (status, getprop, a sequence of reads).
    /// </summary>
    public static EmulatorLock? For(string workflow, string siteId, string hostId, int? index, IEnumerable<SequenceStep>? script)
    {
        if (index is not { } i || WorkflowCatalog.NeedsNoEmulator(workflow) || EmulatorActions.HostWide.Contains(workflow))
        {
            return null;
        }

        var readOnly = workflow == WorkflowCatalog.Sequence
            ? script?.All(s => ReadOnlyActions.Contains(s.Action)) == true
            : ReadOnlyActions.Contains(workflow);
        return readOnly ? null : new EmulatorLock(siteId, hostId, i);
    }

    /// <summary>Actions that change nothing on the emulator: they never wait for, nor hold up, the emulator's queue.</summary>
    public static IReadOnlySet<string> ReadOnlyActions { get; } = new HashSet<string>(StringComparer.Ordinal) { EmulatorActions.Status, EmulatorActions.GetProp };

    // Site and host ids are lowercase letters, digits and hyphens (the API validates them), so '|' cannot occur in them.
    internal string PartitionKey => string.Create(CultureInfo.InvariantCulture, $"{SiteId}|{HostId}|{Index}");
}

/// <summary>What an acquire found: the emulator is the caller's, or another operation is ahead of it.</summary>
/// <param name="Recheck">
/// True when the one ahead is a start not yet confirmed by its orchestration: if that start never happened nobody will
/// wake the caller, who must look again after the start grace.
/// </param>
internal sealed record LockGrant(bool Granted, string? Behind, bool Recheck = false)
{
    public static LockGrant Held { get; } = new(true, null);

    public static LockGrant Queued(string behind, bool recheck = false) => new(false, behind, recheck);
}

/// <summary>A row of the lock table: the holder of an emulator, or an operation in its queue.</summary>
internal sealed record LockEntry(EmulatorLock Emulator, string OperationId, bool IsHolder, DateTimeOffset Since);

/// <summary>
/// Per-emulator turn-taking for mutating operations, held by their orchestrations: an operation joins the emulator's
/// line when the API accepts it, sends its first command only once it holds the emulator, and hands it on when it ends.
/// Operations take turns in arrival order (operation ids are version-7 GUIDs, which sort by creation time).
/// </summary>
/// <remarks>
/// One partition per emulator in the <c>emulatorlocks</c> table: a <c>holder</c> row naming the operation that owns the
/// emulator, and a <c>w-{operationId}</c> row for every operation in line (the holder's included). Only the earliest
/// in line may take a free emulator, so a later arrival whose orchestration happens to run first cannot overtake.
/// <para>
/// A row the API wrote is <em>unconfirmed</em> until the operation's orchestration first tries to acquire. An
/// unconfirmed row older than the start grace belongs to a start that never happened (the API failed between joining
/// and scheduling): it no longer counts and is removed. Waiters behind such a row re-check after the grace.
/// </para>
/// <para>
/// Both sides write before they read (acquire: its row, then the partition; release: delete the holder, then the
/// partition), so a release either sees a new waiter and wakes it, or the waiter sees the emulator free: no wake-up is
/// lost. Every call is idempotent (activities run at least once). A holder that ended without releasing (an
/// orchestration terminated by hand, a read-model write that failed ten times) is freed by the cleanup job.
/// </para>
/// </remarks>
internal sealed class EmulatorLocks
{
    private const string HolderRowKey = "holder";
    private const string WaiterPrefix = "w-";
    private const string OperationProperty = "OperationId";
    private const string SinceProperty = "Since";
    private const string ConfirmedProperty = "Confirmed";

    private readonly TableClient _table;
    private readonly TimeProvider _time;

    public EmulatorLocks(TableServiceClient tables, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _table = tables.GetTableClient(FleetTables.EmulatorLocks);
        _time = time;
    }

    /// <summary>How long an unconfirmed place in line is kept for an orchestration that has not run yet.</summary>
    public static TimeSpan StartGrace => OperationViews.StartGrace;

    /// <summary>Takes a place in the emulator's line for an operation the API is about to start (its arrival).</summary>
    public async Task JoinAsync(EmulatorLock emulator, string operationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        var row = new TableEntity(emulator.PartitionKey, WaiterPrefix + operationId) { [OperationProperty] = operationId, [SinceProperty] = _time.GetUtcNow(), [ConfirmedProperty] = false };
        try
        {
            await _table.AddEntityAsync(row, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            // A retried start: the place is already taken.
        }
    }

    /// <summary>
    /// Confirms the operation's place in line (taking one if the API could not) and takes the emulator if it is free
    /// and the operation is first in line.
    /// </summary>
    public async Task<LockGrant> AcquireAsync(EmulatorLock emulator, string operationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        var now = _time.GetUtcNow();

        // A merge keeps the arrival time the API wrote; a row written here (the API's join failed) counts from now.
        var confirmation = new TableEntity(emulator.PartitionKey, WaiterPrefix + operationId) { [OperationProperty] = operationId, [ConfirmedProperty] = true };
        try
        {
            await _table.UpdateEntityAsync(confirmation, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            confirmation[SinceProperty] = now;
            await _table.UpsertEntityAsync(confirmation, TableUpdateMode.Merge, cancellationToken);
        }

        for (var attempt = 0; ; attempt++)
        {
            var line = await ReadLineAsync(emulator, now, cancellationToken);
            if (line.Holder is { } holder)
            {
                return holder == operationId ? LockGrant.Held : LockGrant.Queued(holder);
            }

            if (line.First is { } first && first != operationId)
            {
                // The emulator is free but an earlier arrival takes it (its own acquire is on its way).
                return LockGrant.Queued(first, recheck: !line.FirstConfirmed);
            }

            try
            {
                await _table.AddEntityAsync(new TableEntity(emulator.PartitionKey, HolderRowKey) { [OperationProperty] = operationId, [SinceProperty] = now }, cancellationToken);
                return LockGrant.Held;
            }
            catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict && attempt < 3)
            {
                // Someone took it between the read and the write: read again to learn who.
            }
        }
    }

    /// <summary>
    /// Leaves the emulator's line and gives the emulator up if this operation holds it. Returns the operation to wake:
    /// the earliest one in line when the emulator is free, else null.
    /// </summary>
    public async Task<string?> ReleaseAsync(EmulatorLock emulator, string operationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        var holder = await _table.GetEntityIfExistsAsync<TableEntity>(emulator.PartitionKey, HolderRowKey, cancellationToken: cancellationToken);
        if (holder.HasValue && holder.Value!.GetString(OperationProperty) == operationId)
        {
            await DeleteAsync(emulator.PartitionKey, HolderRowKey, holder.Value.ETag, cancellationToken);
        }

        await DeleteAsync(emulator.PartitionKey, WaiterPrefix + operationId, ETag.All, cancellationToken);
        var line = await ReadLineAsync(emulator, _time.GetUtcNow(), cancellationToken);
        return line.Holder is null ? line.First : null;
    }

    /// <summary>Every row of the lock table (it holds only operations that run or wait), for the cleanup job.</summary>
    public async IAsyncEnumerable<LockEntry> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _table.QueryAsync<TableEntity>(cancellationToken: cancellationToken))
        {
            if (Parse(row.PartitionKey) is { } emulator && row.GetString(OperationProperty) is { } operationId)
            {
                yield return new LockEntry(emulator, operationId, row.RowKey == HolderRowKey, SinceOf(row));
            }
        }
    }

    /// <summary>
    /// Removes the rows of an operation that has ended (the cleanup job's call); returns the operation to wake, as
    /// <see cref="ReleaseAsync"/> does.
    /// </summary>
    public Task<string?> EvictAsync(LockEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return ReleaseAsync(entry.Emulator, entry.OperationId, cancellationToken);
    }

    /// <summary>
    /// The emulator's holder and the earliest operation in line that still counts (rows come back in row-key order,
    /// which is arrival order); places of starts that never happened are removed on the way.
    /// </summary>
    private async Task<(string? Holder, string? First, bool FirstConfirmed)> ReadLineAsync(EmulatorLock emulator, DateTimeOffset now, CancellationToken cancellationToken)
    {
        string? holder = null;
        string? first = null;
        var firstConfirmed = false;
        var abandoned = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {emulator.PartitionKey}");
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.RowKey == HolderRowKey)
            {
                holder = row.GetString(OperationProperty);
            }
            else if (row.GetBoolean(ConfirmedProperty) != true && now - SinceOf(row) > StartGrace)
            {
                abandoned.Add(row);
            }
            else if (first is null)
            {
                first = row.GetString(OperationProperty);
                firstConfirmed = row.GetBoolean(ConfirmedProperty) == true;
            }
        }

        foreach (var row in abandoned)
        {
            // Conditional: an orchestration that confirms meanwhile keeps its place.
            await DeleteAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken);
        }

        return (holder, first, firstConfirmed);
    }

    private async Task DeleteAsync(string partitionKey, string rowKey, ETag ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            await _table.DeleteEntityAsync(partitionKey, rowKey, ifMatch, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.PreconditionFailed)
        {
            // Gone already (a repeated release), or changed meanwhile: nothing of ours to delete.
        }
    }

    private static DateTimeOffset SinceOf(TableEntity row) => row.GetDateTimeOffset(SinceProperty) ?? row.Timestamp ?? DateTimeOffset.MinValue;

    private static EmulatorLock? Parse(string partitionKey) =>
        partitionKey.Split('|') is [var site, var host, var index] && int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            ? new EmulatorLock(site, host, i)
            : null;
}
