using System.Text.Json;
using LdFleet.Protocol.Commands;
using LdFleet.Relay.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Execution;

/// <summary>Where a command stands in the relay's journal.</summary>
internal enum JournalState
{
    /// <summary>First sighting: it has been recorded as started and must be executed now.</summary>
    New,

    /// <summary>Started earlier but never finished: the relay died while ldconsole ran.</summary>
    Interrupted,

    /// <summary>Finished: answer with the recorded result.</summary>
    Done,
}

/// <summary>
/// The relay's durable memory of commands, in SQLite next to the relay: a command is recorded as started
/// BEFORE ldconsole runs and its result recorded after, so a redelivery (lock lapse, relay restart, duplicate
/// send) never runs ldconsole a second time.
/// </summary>
internal sealed class CommandJournal : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;

    public CommandJournal(IOptions<RelayOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        var path = options.Value.JournalPath;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS commands (
                command_id   TEXT PRIMARY KEY,
                operation_id TEXT NOT NULL,
                started_at   TEXT NOT NULL,
                completed_at TEXT,
                result       TEXT
            );
            CREATE INDEX IF NOT EXISTS commands_completed ON commands (completed_at);
            """);
    }

    /// <summary>Records the command as started unless it is known; says what the relay should do with it.</summary>
    public async Task<(JournalState State, CommandResult? Result)> BeginAsync(EmulatorCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var insert = _connection.CreateCommand();
            insert.CommandText = "INSERT INTO commands (command_id, operation_id, started_at) VALUES ($id, $op, $at) ON CONFLICT (command_id) DO NOTHING";
            insert.Parameters.AddWithValue("$id", command.CommandId);
            insert.Parameters.AddWithValue("$op", command.OperationId);
            insert.Parameters.AddWithValue("$at", _time.GetUtcNow().ToString("O"));
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return (JournalState.New, null);
            }

            using var select = _connection.CreateCommand();
            select.CommandText = "SELECT result FROM commands WHERE command_id = $id";
            select.Parameters.AddWithValue("$id", command.CommandId);
            var json = await select.ExecuteScalarAsync(cancellationToken) as string;
            return json is null
                ? (JournalState.Interrupted, null)
                : (JournalState.Done, JsonSerializer.Deserialize<RelayReport>(json, ProtocolJson.Options) as CommandResult);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Records the result; from now on redeliveries are answered with it.</summary>
    public async Task CompleteAsync(CommandResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var update = _connection.CreateCommand();
            update.CommandText = """
                INSERT INTO commands (command_id, operation_id, started_at, completed_at, result) VALUES ($id, $op, $at, $at, $result)
                ON CONFLICT (command_id) DO UPDATE SET completed_at = $at, result = $result
                """;
            update.Parameters.AddWithValue("$id", result.CommandId);
            update.Parameters.AddWithValue("$op", result.OperationId);
            update.Parameters.AddWithValue("$at", _time.GetUtcNow().ToString("O"));
            update.Parameters.AddWithValue("$result", JsonSerializer.Serialize<RelayReport>(result, ProtocolJson.Options));
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets finished commands older than <paramref name="retention"/>; by then no redelivery can come.</summary>
    public async Task<int> PruneAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var delete = _connection.CreateCommand();
            delete.CommandText = "DELETE FROM commands WHERE completed_at IS NOT NULL AND completed_at < $before";
            delete.Parameters.AddWithValue("$before", (_time.GetUtcNow() - retention).ToString("O"));
            return await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        // A stopping relay may still be recording a result on another thread: closing the connection under it is
        // undefined behaviour, so wait (briefly) for the write in progress. SQLite itself keeps the file consistent
        // even if the process dies mid-write (WAL, synchronous=FULL); a command left without a result is settled
        // from list2 when its message comes back.
        _gate.Wait(TimeSpan.FromSeconds(2));
        _connection.Dispose();
        _gate.Dispose();
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
