using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Queues;
using LdFleet.Testing;
using Microsoft.Data.Sqlite;

namespace LdFleet.Relay.Tests.Hosting;

/// <summary>
/// Stopping the relay process (SIGTERM from a service manager or <c>./dev.sh up</c>'s Ctrl+C, SIGINT from a terminal)
/// while a command hangs in ldconsole: it exits within 5 s, even with the queue gone, and its journal stays intact.
/// </summary>
public sealed class RelayShutdownTests : IAsyncLifetime
{
    private static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(5);

    private readonly string _journal = Path.Combine(Directory.CreateTempSubdirectory("relay-shutdown-").FullName, "journal.db");
    private AzuriteServer _azurite = null!;
    private SimulatedHost _host = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteServer.StartAsync(persistent: true);
        _host = await SimulatedHost.CreateAsync("host-1", 2);
    }

    public async Task DisposeAsync()
    {
        await _azurite.DisposeAsync();
        _host.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(_journal)!, recursive: true);
    }

    [Theory]
    [InlineData("TERM", false)]
    [InlineData("INT", false)]
    [InlineData("TERM", true)]
    public async Task Signal_WithACommandHangingInLdConsole_ExitsWithin5Seconds_AndTheJournalIsIntact(string signal, bool queueGone)
    {
        await _host.FaultAsync("hang", "launch");
        // A test runner started as a background job of a non-interactive shell (as CI may start it) passes SIGINT on
        // as ignored, and .NET keeps an inherited SIG_IGN; an operator's terminal does not. env resets both signals to
        // their defaults so the case tests the relay's own handling.
        await using var relay = ChildProcess.Start("relay", "env", ["--default-signal=INT,TERM", "dotnet", "exec", RepoPaths.RelayDll], new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Relay__SiteId"] = "lab",
            ["Relay__JournalPath"] = _journal,
            ["Relay__Hosts__0__Id"] = _host.Id,
            ["Relay__Hosts__0__LdConsolePath"] = RepoPaths.Simulator,
            ["Relay__Hosts__0__Environment__LDSIM_HOME"] = _host.Home,
            ["Transport__ConnectionString"] = _azurite.ConnectionString,
            ["Polling__MaxPollInterval"] = "00:00:00.200",
        });
        await relay.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.False(SignalIgnored(relay.Id, signal), $"SIG{signal} is ignored by the relay process although env reset it.");

        var queue = new QueueClient(_azurite.ConnectionString, "ldfleet-site-lab", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync(BinaryData.FromString(JsonSerializer.Serialize(new
        {
            schemaVersion = 1,
            commandId = "op-1.1.1",
            operationId = "op-1",
            siteId = "lab",
            hostId = _host.Id,
            action = "launch",
            index = 0,
            issuedAt = DateTimeOffset.UtcNow,
            deliverBy = DateTimeOffset.UtcNow.AddMinutes(5),
            executionTimeout = "00:05:00",
        })));
        await Poll.UntilAsync(() => Task.FromResult(_host.JournalCount("launch")), n => n == 1, TimeSpan.FromSeconds(30), "ldconsole launch to start (and hang)\n" + relay.Tail());
        if (queueGone)
        {
            // The worst case: the broker went away with everything else (./dev.sh up stops it too), so handing the
            // message back can only time out.
            await _azurite.StopAsync();
        }

        var stopping = Stopwatch.StartNew();
        await relay.SignalAsync(signal);
        var exitCode = await relay.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var took = stopping.Elapsed;

        Assert.True(exitCode == 0, $"exit code {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none: still running"}\n{relay.Tail()}");
        Assert.True(took < StopWithin, $"The relay took {took.TotalSeconds:0.0} s to stop after SIG{signal}.\n{relay.Tail()}");

        // The journal opens, passes SQLite's integrity check, and records the interrupted command as started and
        // unfinished: when its message comes back, the next relay settles it from list2 instead of running it again.
        using var journal = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _journal, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await journal.OpenAsync();
        using var check = journal.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", await check.ExecuteScalarAsync());
        using var row = journal.CreateCommand();
        row.CommandText = "SELECT started_at IS NOT NULL, completed_at IS NULL FROM commands WHERE command_id = 'op-1.1.1'";
        using var reader = await row.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the command is not in the journal");
        Assert.Equal((1L, 1L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    /// <summary>Whether the process ignores the signal (inherited SIG_IGN): /proc/{pid}/status lists them as a bit mask.</summary>
    private static bool SignalIgnored(int pid, string signal)
    {
        var number = signal switch { "INT" => 2, "TERM" => 15, _ => throw new ArgumentOutOfRangeException(nameof(signal)) };
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        return (mask & (1UL << (number - 1))) != 0;
    }
}
