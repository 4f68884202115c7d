using System.Collections.Concurrent;
using Amqp;
using Amqp.Framing;
using Amqp.Sasl;
using Microsoft.Extensions.Logging;

namespace LdFleet.Protocol.Transport.Amqp;

/// <summary>
/// One AMQP connection with one session (Service Bus allows one session per connection, reference A.1),
/// shared by every queue a factory opens, plus the links that are shared too: one sender per address and one
/// request/response pair per management node. AMQPNetLite has no recovery of its own (reference A.6), so a
/// closed connection, session or link is noticed on next use and created again; links carry the generation of
/// the session they were attached on, and a newer generation makes them stale.
/// </summary>
internal sealed partial class AmqpConnectionScope : IAsyncDisposable
{
    // Service Bus: refresh a CBS token 7 minutes before it expires, or at 3/4 of its lifetime when that is
    // earlier (reference A.2, "When to refresh tokens"); never more often than this floor.
    private static readonly TimeSpan TokenRefreshBuffer = TimeSpan.FromMinutes(7);
    private static readonly TimeSpan MinTokenRefreshInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan TokenRetryDelay = TimeSpan.FromSeconds(5);

    private readonly AmqpEndpoint _endpoint;
    private readonly AmqpTransportOptions _options;
    private readonly IServiceBusTokenProvider? _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, (SenderLink Link, int Generation)> _senders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (AmqpRequestResponseLink Link, int Generation)> _requestLinks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _authorized = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();

    private Connection? _connection;
    private Session? _session;
    private CancellationTokenSource? _connectionLifetime;
    private int _generation;

    public AmqpConnectionScope(AmqpEndpoint endpoint, AmqpTransportOptions options, IServiceBusTokenProvider? tokens, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        _endpoint = endpoint;
        _options = options;
        _tokens = tokens;
        _time = time;
        _logger = logger;
        ContainerId = $"ldfleet-{Environment.MachineName}-{Guid.NewGuid():N}";
    }

    public AmqpEndpoint Endpoint => _endpoint;

    public AmqpTransportOptions Options => _options;

    public string ContainerId { get; }

    /// <summary>True when entities must be authorized with CBS put-token before links attach to them.</summary>
    public bool UsesCbs => _tokens is not null;

    /// <summary>The current session, connecting (again) if there is none or it closed.</summary>
    public async Task<(Session Session, int Generation)> GetSessionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        var session = _session;
        var connection = _connection;
        if (session is not null && connection is not null && !session.IsClosed && !connection.IsClosed)
        {
            return (session, Volatile.Read(ref _generation));
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_session is not null && _connection is not null && !_session.IsClosed && !_connection.IsClosed)
            {
                return (_session, _generation);
            }

            if (_connection is not null && !_connection.IsClosed)
            {
                // Only the session ended (e.g. RabbitMQ ends it on a bad address): keep the connection.
                _session = new Session(_connection);
                _generation++;
                return (_session, _generation);
            }

            await CloseConnectionAsync();
            var (newConnection, lifetime) = await ConnectAsync(cancellationToken);
            _connection = newConnection;
            _connectionLifetime = lifetime;
            _session = new Session(newConnection);
            _generation++;
            LogConnected(_logger, _endpoint.ToString(), _generation);
            return (_session, _generation);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A sender link to <paramref name="address"/> (entity path <paramref name="entityPath"/>), reused while it is open.</summary>
    public async Task<SenderLink> GetSenderAsync(string entityPath, string address, CancellationToken cancellationToken)
    {
        if (_senders.TryGetValue(address, out var cached) && !cached.Link.IsClosed && !cached.Link.Session.IsClosed && cached.Generation == Volatile.Read(ref _generation))
        {
            return cached.Link;
        }

        var (session, generation) = await GetSessionAsync(cancellationToken);
        await AuthorizeAsync(entityPath, cancellationToken);
        var link = await AmqpLinks.AttachSenderAsync(session, $"{ContainerId}-send-{entityPath}-{Guid.NewGuid():N}", address, _options.OperationTimeout, cancellationToken);
        _senders[address] = (link, generation);
        return link;
    }

    /// <summary>Sends a request on the request/response pair of <paramref name="node"/> (e.g. <c>queue/$management</c>).</summary>
    public async Task<Message> RequestAsync(string node, Message request, CancellationToken cancellationToken)
    {
        var link = await GetRequestLinkAsync(node, authorize: true, cancellationToken);
        return await link.RequestAsync(request, _options.OperationTimeout, cancellationToken);
    }

    /// <summary>
    /// Puts a CBS token for <paramref name="entityPath"/> once per connection and keeps it fresh until the
    /// connection goes (reference A.2: tokens are per connection and forgotten when it drops). No-op with SASL PLAIN.
    /// </summary>
    public async Task AuthorizeAsync(string entityPath, CancellationToken cancellationToken)
    {
        if (_tokens is null)
        {
            return;
        }

        var (_, generation) = await GetSessionAsync(cancellationToken);
        var key = $"{generation}|{entityPath}";
        var first = _authorized.GetOrAdd(key, _ => PutTokenAndScheduleRefreshAsync(entityPath, generation));
        try
        {
            await first.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Let the next attempt try again instead of replaying the same failure forever.
            _authorized.TryRemove(new KeyValuePair<string, Task>(key, first));
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync();
        await _gate.WaitAsync();
        try
        {
            await CloseConnectionAsync();
        }
        finally
        {
            _gate.Release();
        }

        _disposed.Dispose();
    }

    private async Task<AmqpRequestResponseLink> GetRequestLinkAsync(string node, bool authorize, CancellationToken cancellationToken)
    {
        if (_requestLinks.TryGetValue(node, out var cached) && !cached.Link.IsClosed && cached.Generation == Volatile.Read(ref _generation))
        {
            return cached.Link;
        }

        var (session, generation) = await GetSessionAsync(cancellationToken);
        if (authorize)
        {
            await AuthorizeAsync(node, cancellationToken);
        }

        var link = await AmqpRequestResponseLink.OpenAsync(session, node, _options.OperationTimeout, cancellationToken);
        if (_requestLinks.TryGetValue(node, out var raced) && !raced.Link.IsClosed && raced.Generation == generation)
        {
            await link.CloseAsync();
            return raced.Link;
        }

        _requestLinks[node] = (link, generation);
        return link;
    }

    private async Task PutTokenAndScheduleRefreshAsync(string entityPath, int generation)
    {
        var lifetime = _connectionLifetime?.Token ?? CancellationToken.None;
        var expiresAt = await PutTokenAsync(entityPath, lifetime);
        _ = RefreshLoopAsync(entityPath, generation, expiresAt, lifetime);
    }

    private async Task<DateTimeOffset> PutTokenAsync(string entityPath, CancellationToken cancellationToken)
    {
        var audience = new Uri(_endpoint.ServiceUri, entityPath).ToString();
        var token = await _tokens!.GetTokenAsync(audience, cancellationToken);

        // Reference A.2, "CBS request/response shape": the token as an AMQP value, the audience in "name".
        var request = new Message(token.Token)
        {
            ApplicationProperties = new ApplicationProperties
            {
                ["operation"] = "put-token",
                ["type"] = token.TokenType,
                ["name"] = audience,
                ["expiration"] = token.ExpiresAt.UtcDateTime,
            },
        };
        var cbs = await GetRequestLinkAsync("$cbs", authorize: false, cancellationToken);
        var response = await cbs.RequestAsync(request, _options.OperationTimeout, cancellationToken);
        var status = Convert.ToInt32(response.ApplicationProperties?["status-code"] ?? 0, System.Globalization.CultureInfo.InvariantCulture);
        if (status is not (200 or 202))
        {
            var description = response.ApplicationProperties?["status-description"]?.ToString();
            throw new UnauthorizedAccessException($"Service Bus refused the CBS token for {audience}: {status} {description}");
        }

        LogTokenPut(_logger, audience, token.ExpiresAt);
        return token.ExpiresAt;
    }

    private async Task RefreshLoopAsync(string entityPath, int generation, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            var remaining = expiresAt - now;
            var early = remaining - TokenRefreshBuffer;
            var delay = TimeSpan.FromTicks(Math.Min(early.Ticks, remaining.Ticks * 3 / 4));
            if (delay < MinTokenRefreshInterval)
            {
                delay = MinTokenRefreshInterval;
            }

            try
            {
                await Task.Delay(delay, _time, cancellationToken);
                expiresAt = await PutTokenAsync(entityPath, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Keep the old expiry: the next try comes soon, and once the token lapses the service drops
                // the entity's links, which the next use re-creates with a fresh put-token.
                LogTokenRefreshFailed(_logger, ex, entityPath, generation);
                try
                {
                    await Task.Delay(TokenRetryDelay, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<(Connection Connection, CancellationTokenSource Lifetime)> ConnectAsync(CancellationToken cancellationToken)
    {
        // AMQP over WebSockets needs its own transport provider; the factory's TCP/TLS settings do not apply to
        // it (reference A.1, "WebSockets on .NET 10"). "AMQPWSB10" is the sub-protocol the Service Bus sample uses.
        var factory = _endpoint.UseWebSockets
            ? new ConnectionFactory([new WebSocketTransportFactory("AMQPWSB10")])
            : new ConnectionFactory();
        factory.AMQP.ContainerId = ContainerId;
        factory.AMQP.HostName = _endpoint.Host;
        factory.AMQP.IdleTimeout = (int)_options.IdleTimeout.TotalMilliseconds;

        var plain = _tokens is null && _endpoint.UserName is not null;
        if (_tokens is not null)
        {
            // CBS works only after SASL ANONYMOUS (reference A.2, "SASL ANONYMOUS + CBS").
            factory.SASL.Profile = SaslProfile.Anonymous;
        }

        var address = new Address(_endpoint.Host, _endpoint.Port, plain ? _endpoint.UserName : null, plain ? _endpoint.Password : null, _endpoint.Path, _endpoint.Scheme);
        var connection = await factory.CreateAsync(address, cancellationToken).WaitAsync(_options.OperationTimeout, cancellationToken);
        var lifetime = new CancellationTokenSource();
        connection.Closed += (_, error) =>
        {
            LogConnectionClosed(_logger, _endpoint.ToString(), AmqpLinks.Describe(error));
            lifetime.Cancel();
        };
        if (connection.IsClosed)
        {
            await lifetime.CancelAsync();
        }

        return (connection, lifetime);
    }

    private async Task CloseConnectionAsync()
    {
        var connection = _connection;
        var lifetime = _connectionLifetime;
        _connection = null;
        _session = null;
        _connectionLifetime = null;
        _senders.Clear();
        _requestLinks.Clear();
        _authorized.Clear();
        if (lifetime is not null)
        {
            await lifetime.CancelAsync();
            lifetime.Dispose();
        }

        if (connection is not null && !connection.IsClosed)
        {
            try
            {
                // Send close without waiting for the peer's answer: RabbitMQ 3.10 was seen taking seconds to
                // answer, and nothing depends on it once the connection is being dropped.
                await connection.CloseAsync(TimeSpan.Zero, null);
            }
            catch (Exception ex) when (ex is AmqpException or TimeoutException or ObjectDisposedException or InvalidOperationException or IOException)
            {
                // The connection is being replaced or disposed; how the old one ends does not matter.
                LogCloseFailed(_logger, ex, _endpoint.ToString());
            }
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "AMQP connected to {Endpoint} (session generation {Generation})")]
    private static partial void LogConnected(ILogger logger, string endpoint, int generation);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "AMQP connection to {Endpoint} closed: {Reason}")]
    private static partial void LogConnectionClosed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Debug, Message = "CBS token put for {Audience}, valid until {ExpiresAt}")]
    private static partial void LogTokenPut(ILogger logger, string audience, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Refreshing the CBS token for {EntityPath} failed (session generation {Generation}); retrying")]
    private static partial void LogTokenRefreshFailed(ILogger logger, Exception exception, string entityPath, int generation);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Debug, Message = "Closing the AMQP connection to {Endpoint} failed")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string endpoint);
}
