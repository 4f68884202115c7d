using System.Net.Sockets;
using System.Security.Cryptography;
using LdFleet.Relay.Hosting;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace LdFleet.Relay.LdPlayer.Ssh;

/// <summary>
/// Runs programs on one remote host through its SSH server (Windows OpenSSH in production).
/// </summary>
/// <remarks>
/// <para>
/// One connection per host, opened on first use, shared by concurrent commands (each command is its own
/// SSH channel on it) and replaced when SSH.NET reports it disconnected. The server is accepted only if its
/// host key has the configured SHA-256 fingerprint; there is no trust on first use. Authentication is by
/// private key only.
/// </para>
/// <para>
/// Session 0: Windows OpenSSH starts commands in the non-interactive services session, and ldconsole run
/// there does nothing useful: <c>launch</c> starts no emulator, <c>quit</c> exits 0 without stopping one,
/// and <c>list2</c> reports everything stopped (reference/ldconsole.md §4.8). The driver's list2 check turns
/// a silent launch into a NoEffect failure, but a quit of a running emulator will look verified because list2
/// lies the same way. Until ldconsole is run inside the logged-on user's desktop session on the remote host
/// (for instance by a relay or helper running there), SSH hosts can only be trusted for read-only commands
/// and with the simulator.
/// </para>
/// <para>
/// Timeouts: the remote program is asked to stop with a TERM signal and the channel is closed. POSIX
/// OpenSSH delivers the signal; Windows OpenSSH does not implement signals, so ldconsole may keep running on
/// the remote host after a timeout is reported.
/// </para>
/// </remarks>
internal sealed partial class SshProcessRunner : IProcessRunner, IDisposable
{
    // OpenSSH's MaxSessions and SSH.NET's ConnectionInfo.MaxSessions both default to 10 channels per
    // connection, and SSH.NET waits for a free one by blocking a thread; callers queue here asynchronously instead.
    private const int MaxConcurrentCommands = 10;

    // Without traffic a half-open connection is only noticed when a command hangs on it.
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    private readonly string _hostId;
    private readonly SshHostOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SshProcessRunner> _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly SemaphoreSlim _commandSlots = new(MaxConcurrentCommands, MaxConcurrentCommands);
    private Connection? _connection;
    private volatile bool _disposed;

    public SshProcessRunner(string hostId, SshHostOptions options, TimeProvider time, ILogger<SshProcessRunner> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hostId);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _hostId = hostId;
        _options = options;
        _time = time;
        _logger = logger;
    }

    private string Endpoint => $"{_options.Address}:{_options.Port}";

    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ObjectDisposedException.ThrowIf(_disposed, this);

        // A value that cannot be quoted is a bug upstream; refuse it before touching the network.
        var commandText = RemoteCommandLine.Build(_options.Shell, spec.FileName, spec.Arguments, spec.Environment);

        await _commandSlots.WaitAsync(cancellationToken);
        try
        {
            var connection = await GetConnectionAsync(cancellationToken);
            return await ExecuteAsync(connection, commandText, spec, cancellationToken);
        }
        finally
        {
            _commandSlots.Release();
        }
    }

    /// <summary>
    /// Opens the connection if it is not open (connect, verify the host key, log in) and describes it; a connection
    /// test's first stage.
    /// </summary>
    public async Task<string> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await GetConnectionAsync(cancellationToken);
        return $"ssh {_options.UserName}@{Endpoint}";
    }

    public void Dispose()
    {
        _disposed = true;
        Interlocked.Exchange(ref _connection, null)?.Dispose();
    }

    /// <summary>
    /// Whether a result is the remote shell saying the program does not exist or cannot run, not the program's own
    /// answer: 127 or 126 from a POSIX shell, 9009 ("is not recognized") or 3 ("cannot find the path") from cmd.exe,
    /// each with the shell's message on stderr and nothing on stdout (ldconsole writes its own errors to stdout, and
    /// add's exit code is an emulator index that can be any of these numbers). PowerShell reports a missing program
    /// as a plain 1, which cannot be told apart.
    /// </summary>
    public static bool MeansProgramMissing(RemoteShell shell, ProcessResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var code = shell switch
        {
            RemoteShell.Posix => result.ExitCode is 126 or 127,
            RemoteShell.Cmd => result.ExitCode is 9009 or 3,
            _ => false,
        };
        return code && result.StandardOutput.Length == 0 && result.StandardError.Length > 0;
    }

    /// <summary>
    /// SSH.NET's way of saying the server refused to open a session channel (after <see cref="ConnectionInfo.RetryAttempts"/>
    /// attempts): a plain <see cref="SshException"/> with this message, before anything was sent to run.
    /// </summary>
    internal static bool IsChannelRefused(SshException exception) =>
        exception.GetType() == typeof(SshException) && exception.Message.StartsWith("Failed to open a channel", StringComparison.Ordinal);

    /// <summary>10, 20, 40 ... ms, at most 500 ms: a server catching up on closed sessions needs a moment, not a storm of opens.</summary>
    internal static TimeSpan RefusedChannelDelay(int refusals) => TimeSpan.FromMilliseconds(Math.Min(500, 10 << Math.Min(refusals, 6)));

    internal static bool FingerprintMatches(string presented, string expected) =>
        string.Equals(presented, expected.Trim().TrimEnd('='), StringComparison.Ordinal);

    private async Task<ProcessResult> ExecuteAsync(Connection connection, string commandText, ProcessSpec spec, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(spec.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = _time.GetTimestamp();
        var timedOut = false;
        SshCommand? command = null;
        try
        {
            for (var refusals = 0; ; refusals++)
            {
                command = connection.Client.CreateCommand(commandText);
                try
                {
                    // Cancelling makes SSH.NET send a TERM signal on the channel, wait up to 0.5 s for the command to
                    // end, and then complete it anyway, closing the channel.
                    await command.ExecuteAsync(linked.Token);
                    break;
                }
                catch (SshException ex) when (IsChannelRefused(ex) && connection.Client.IsConnected)
                {
                    // The server still counts a session whose channel we saw close (see ConnectAsync's RetryAttempts): the
                    // command never started, so waiting a little and opening a channel again is safe.
                    command.Dispose();
                    command = null;
                    LogChannelRefused(_logger, _hostId, refusals + 1);
                    await Task.Delay(RefusedChannelDelay(refusals), _time, linked.Token);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            timedOut = true;
            LogTimedOut(_logger, _hostId, spec.FileName, spec.Timeout.TotalSeconds);
        }
        catch (Exception ex) when (ex is SshException or SocketException)
        {
            command?.Dispose();
            LogCommandFailed(_logger, ex, _hostId, spec.FileName, connection.Client.IsConnected);
            throw new SshHostException(_hostId, $"Running {spec.FileName} on {Endpoint} over SSH failed: {ex.Message}", ex);
        }
        catch
        {
            command?.Dispose();
            throw;
        }

        if (command is null)
        {
            // Timed out while the server kept refusing a channel: nothing ran.
            return new ProcessResult(-1, [], [], _time.GetElapsedTime(started), TimedOut: true);
        }

        using (command)
        {
            var exitCode = timedOut ? -1 : command.ExitStatus ?? -1;
            if (!timedOut && command.ExitStatus is null)
            {
                LogNoExitStatus(_logger, _hostId, spec.FileName, command.ExitSignal);
            }

            var result = new ProcessResult(exitCode, Drain(command.OutputStream), Drain(command.ExtendedOutputStream), _time.GetElapsedTime(started), timedOut);
            LogRan(_logger, _hostId, spec.FileName, result.ExitCode, result.Duration.TotalMilliseconds);
            return result;
        }
    }

    /// <summary>
    /// SSH.NET copies channel data into an unbounded in-memory pipe on its receive thread as it arrives, so
    /// no buffer can fill and stall the remote program (the deadlock of reference §4.7), and no thread of ours
    /// waits on it. Once the command has completed everything is in the pipe: take exactly what is buffered,
    /// which never blocks (a plain read of the pipe would, until SSH.NET closes it).
    /// </summary>
    private static byte[] Drain(Stream stream)
    {
        var length = checked((int)stream.Length);
        if (length == 0)
        {
            return [];
        }

        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private async Task<Connection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _connection);
        if (current is not null && current.Client.IsConnected)
        {
            return current;
        }

        await _connectLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            current = _connection;
            if (current is not null)
            {
                if (current.Client.IsConnected)
                {
                    return current;
                }

                // Commands still on it have failed with the connection; nothing else holds it.
                LogReconnecting(_logger, _hostId, Endpoint);
                _connection = null;
                current.Dispose();
            }

            var fresh = await ConnectAsync(cancellationToken);
            if (_disposed)
            {
                fresh.Dispose();
                throw new ObjectDisposedException(nameof(SshProcessRunner));
            }

            Volatile.Write(ref _connection, fresh);
            return fresh;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<Connection> ConnectAsync(CancellationToken cancellationToken)
    {
        var key = LoadPrivateKey();
        var authentication = new PrivateKeyAuthenticationMethod(_options.UserName, key);
        var info = new ConnectionInfo(_options.Address, _options.Port, _options.UserName, authentication)
        {
            Timeout = _options.ConnectTimeout,

            // OpenSSH frees a session only after the client's close of its channel has been read and the remote
            // process reaped, but SSH.NET counts the channel free as soon as it answers the server's close, and opens
            // the next one at once. A server that has not caught up refuses the open ("no more sessions"), and SSH.NET
            // would retry at once, synchronously, up to 10 times: on a loaded machine every retry can come too early,
            // and the command fails or stalls. One attempt here; ExecuteAsync waits and retries asynchronously instead.
            RetryAttempts = 1,
        };
        var connection = new Connection(new SshClient(info) { KeepAliveInterval = KeepAliveInterval }, authentication, key);
        string? presented = null;
        string? algorithm = null;
        var trusted = false;
        connection.Client.HostKeyReceived += (_, e) =>
        {
            presented = "SHA256:" + e.FingerPrintSHA256;
            algorithm = e.HostKeyName;
            trusted = FingerprintMatches(presented, _options.HostKeyFingerprint);
            e.CanTrust = trusted;
        };

        var connected = false;
        try
        {
            await connection.Client.ConnectAsync(cancellationToken);
            connected = true;
            LogConnected(_logger, _hostId, Endpoint, _options.UserName, algorithm, presented);
            return connection;
        }
        catch (Exception ex) when (presented is not null && !trusted)
        {
            LogHostKeyMismatch(_logger, _hostId, Endpoint, algorithm, presented, _options.HostKeyFingerprint);
            throw new SshHostException(
                _hostId,
                $"Host key mismatch for {Endpoint}: the server presented {algorithm} key {presented}, but HostKeyFingerprint is {_options.HostKeyFingerprint}. " +
                "Refusing to connect: the connection may be intercepted, or the host's SSH keys were regenerated. Check the fingerprint on the host " +
                @"(ssh-keygen -lf C:\ProgramData\ssh\ssh_host_ed25519_key.pub) and update the configuration.",
                ex);
        }
        catch (SshAuthenticationException ex)
        {
            LogConnectFailed(_logger, ex, _hostId, Endpoint);
            throw new SshHostException(
                _hostId,
                $"{_options.UserName}@{Endpoint} refused the private key {_options.PrivateKeyPath}: {ex.Message} " +
                "(Is its public key in the account's authorized_keys, or in administrators_authorized_keys for an administrator on Windows?)",
                ex);
        }
        catch (Exception ex) when (ex is SshException or SocketException or TimeoutException)
        {
            LogConnectFailed(_logger, ex, _hostId, Endpoint);
            throw new SshHostException(_hostId, $"Could not connect to {Endpoint} over SSH: {ex.Message}", ex);
        }
        finally
        {
            if (!connected)
            {
                connection.Dispose();
            }
        }
    }

    private PrivateKeyFile LoadPrivateKey()
    {
        try
        {
            return string.IsNullOrEmpty(_options.PrivateKeyPassphrase)
                ? new PrivateKeyFile(_options.PrivateKeyPath)
                : new PrivateKeyFile(_options.PrivateKeyPath, _options.PrivateKeyPassphrase);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SshException
            or ArgumentException or InvalidOperationException or NotSupportedException or CryptographicException)
        {
            // SSH.NET's messages name the file or the format, never the passphrase.
            throw new SshHostException(_hostId, $"Could not load the SSH private key '{_options.PrivateKeyPath}': {ex.Message}", ex);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "{HostId}: connected to {Endpoint} over SSH as {UserName}; host key {Algorithm} {Fingerprint} verified")]
    private static partial void LogConnected(ILogger logger, string hostId, string endpoint, string userName, string? algorithm, string? fingerprint);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "{HostId}: SSH connection to {Endpoint} lost; reconnecting")]
    private static partial void LogReconnecting(ILogger logger, string hostId, string endpoint);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "{HostId}: {Endpoint} presented host key {Algorithm} {Presented}, but {Expected} is configured; refusing to connect")]
    private static partial void LogHostKeyMismatch(ILogger logger, string hostId, string endpoint, string? algorithm, string? presented, string expected);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Error, Message = "{HostId}: could not connect to {Endpoint} over SSH")]
    private static partial void LogConnectFailed(ILogger logger, Exception exception, string hostId, string endpoint);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "{HostId}: {FileName} did not finish within {TimeoutSeconds} s; channel closed (the remote process may still be running)")]
    private static partial void LogTimedOut(ILogger logger, string hostId, string fileName, double timeoutSeconds);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "{HostId}: running {FileName} over SSH failed (connection still up: {Connected})")]
    private static partial void LogCommandFailed(ILogger logger, Exception exception, string hostId, string fileName, bool connected);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "{HostId}: {FileName} ended without an exit status (signal {Signal}); reporting -1")]
    private static partial void LogNoExitStatus(ILogger logger, string hostId, string fileName, string? signal);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Debug, Message = "{HostId}: the SSH server refused a channel (refusal {Refusals}; it is still closing an earlier session); trying again shortly")]
    private static partial void LogChannelRefused(ILogger logger, string hostId, int refusals);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Debug, Message = "{HostId}: {FileName} exited {ExitCode} after {DurationMs:0} ms")]
    private static partial void LogRan(ILogger logger, string hostId, string fileName, int exitCode, double durationMs);

    /// <summary>A client and the key it authenticates with, disposed together.</summary>
    private sealed class Connection(SshClient client, PrivateKeyAuthenticationMethod authentication, PrivateKeyFile key) : IDisposable
    {
        public SshClient Client { get; } = client;

        public void Dispose()
        {
            Client.Dispose();
            authentication.Dispose();
            key.Dispose();
        }
    }
}
