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
        if (index is not { } i || WorkflowCatalog.NeedsNoEmulator(workflow))
        {
            return null;
        }

        var readOnly = workflow == WorkflowCatalog.Sequence
            ? script?.All(s => ReadOnlyActions.Contains(s.Action)) == true
            : ReadOnlyActions.Contains(workflow);
        return readOnly ? null : new EmulatorLock(siteId, hostId, i);
    }

    /// <summary>The lock the operation this input starts takes (the API joins its line, the orchestration holds it).</summary>
    public static EmulatorLock? For(OperationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return For(input.Workflow, input.SiteId, input.HostId, input.Index, input.Steps);
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
    /// and the operation is first in line. Two table requests either way when the API took the place: the line's
    /// read, then one transaction that confirms the place and writes the holder (or, when it is not this one's turn,
    /// the confirmation alone).
    /// </summary>
    public async Task<LockGrant> AcquireAsync(EmulatorLock emulator, string operationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        var now = _time.GetUtcNow();
        for (var attempt = 0; ; attempt++)
        {
            var line = await ReadLineAsync(emulator, now, operationId, cancellationToken);

            // A place the API took keeps its arrival time; one taken here (the API's join failed) counts from now.
            var confirmation = new TableEntity(emulator.PartitionKey, WaiterPrefix + operationId) { [OperationProperty] = operationId, [ConfirmedProperty] = true };
            if (!line.SelfInLine)
            {
                confirmation[SinceProperty] = now;
            }

            var ahead = line.Holder ?? (line.First is { } first && first != operationId ? first : null);
            if (ahead is not null)
            {
                if (ahead == operationId)
                {
                    return LockGrant.Held;
                }

                await _table.UpsertEntityAsync(confirmation, TableUpdateMode.Merge, cancellationToken);
                if (!line.SelfInLine)
                {
                    // This place did not exist when the line was read, so whoever hands the emulator on may not have
                    // seen it: read again now that it does (no wake-up may be lost).
                    continue;
                }

                // The emulator is held, or free for an earlier arrival whose own acquire is on its way.
                return line.Holder is not null ? LockGrant.Queued(ahead) : LockGrant.Queued(ahead, recheck: !line.FirstConfirmed);
            }

            try
            {
                await _table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.UpsertMerge, confirmation),
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(emulator.PartitionKey, HolderRowKey) { [OperationProperty] = operationId, [SinceProperty] = now }),
                ], cancellationToken);
                return LockGrant.Held;
            }
            catch (TableTransactionFailedException) when (attempt < 3)
            {
                // Someone took it between the read and the write (a conflict on the holder row): read again to learn who.
            }
        }
    }

    /// <summary>
    /// Leaves the emulator's line and gives the emulator up if this operation holds it. Returns the operation to wake:
    /// the earliest one in line when the emulator is free, else null.
    /// </summary>
    /// <param name="held">
    /// True when the operation's acquire answered <see cref="LockGrant.Held"/>: the holder row is then this operation's
    /// and goes in one transaction with its place in line (which a repeated release no longer finds, so the repeat
    /// fails whole and cannot delete a later holder). False when that is unknown: the holder row is read and deleted
    /// only if it names this operation.
    /// </param>
    public async Task<string?> ReleaseAsync(EmulatorLock emulator, string operationId, bool held, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        var released = false;
        if (held)
        {
            try
            {
                await _table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(emulator.PartitionKey, HolderRowKey), ETag.All),
                    new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(emulator.PartitionKey, WaiterPrefix + operationId), ETag.All),
                ], cancellationToken);
                released = true;
            }
            catch (TableTransactionFailedException)
            {
                // Released already (a repeated activity; its place is gone): only this operation's leftovers, if any, may go.
            }
        }

        if (!released)
        {
            var holder = await _table.GetEntityIfExistsAsync<TableEntity>(emulator.PartitionKey, HolderRowKey, cancellationToken: cancellationToken);
            if (holder.HasValue && holder.Value!.GetString(OperationProperty) == operationId)
            {
                await DeleteAsync(emulator.PartitionKey, HolderRowKey, holder.Value.ETag, cancellationToken);
            }

            await DeleteAsync(emulator.PartitionKey, WaiterPrefix + operationId, ETag.All, cancellationToken);
        }

        var line = await ReadLineAsync(emulator, _time.GetUtcNow(), operationId, cancellationToken);
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
        return ReleaseAsync(entry.Emulator, entry.OperationId, held: false, cancellationToken);
    }

    /// <summary>
    /// The emulator's holder and the earliest operation in line that still counts (rows come back in row-key order,
    /// which is arrival order), and whether <paramref name="self"/> has a place; places of starts that never happened
    /// are removed on the way (never <paramref name="self"/>'s: it is the start happening).
    /// </summary>
    private async Task<Line> ReadLineAsync(EmulatorLock emulator, DateTimeOffset now, string self, CancellationToken cancellationToken)
    {
        string? holder = null;
        string? first = null;
        bool firstConfirmed = false, selfInLine = false;
        var abandoned = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {emulator.PartitionKey}");
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var operationId = row.GetString(OperationProperty);
            if (row.RowKey == HolderRowKey)
            {
                holder = operationId;
                continue;
            }

            selfInLine |= operationId == self;
            if (operationId != self && row.GetBoolean(ConfirmedProperty) != true && now - SinceOf(row) > StartGrace)
            {
                abandoned.Add(row);
            }
            else if (first is null)
            {
                first = operationId;
                firstConfirmed = row.GetBoolean(ConfirmedProperty) == true;
            }
        }

        foreach (var row in abandoned)
        {
            // Conditional: an orchestration that confirms meanwhile keeps its place.
            await DeleteAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken);
        }

        return new Line(holder, first, firstConfirmed, selfInLine);
    }

    private sealed record Line(string? Holder, string? First, bool FirstConfirmed, bool SelfInLine);

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
