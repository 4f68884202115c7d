using System.Collections.Concurrent;
using System.Globalization;
using Amqp;
using Amqp.Framing;
using Amqp.Handler;
using Amqp.Listener;
using Amqp.Sasl;
using Amqp.Types;

namespace LdFleet.Testing.ServiceBus;

/// <summary>What a SAS rule allows, as Service Bus names its claims.</summary>
[Flags]
public enum ServiceBusRights
{
    None = 0,
    Listen = 1,
    Send = 2,
    Manage = 4 | Listen | Send,
}

/// <summary>Per-queue settings, with Service Bus's defaults.</summary>
public sealed record TestQueueSettings
{
    /// <summary>How long a received message stays locked (Service Bus: 1 minute by default, at most 5).</summary>
    public TimeSpan LockDuration { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Deliveries (abandons and lock expiries) after which a message is dead-lettered (Service Bus: 10).</summary>
    public int MaxDeliveryCount { get; init; } = 10;
}

/// <summary>
/// An in-process Azure Service Bus stand-in that the real Azure.Messaging.ServiceBus SDK talks to over AMQP 1.0, on
/// 127.0.0.1 without TLS (the SDK's <c>UseDevelopmentEmulator=true</c> mode). Built on AMQPNetLite's listener. It
/// behaves like Service Bus where LdFleet depends on it (shared reference servicebus-amqp-and-functions.md, A.2-A.6):
/// <list type="bullet">
/// <item>SASL <c>MSSBCBS</c>/ANONYMOUS, then CBS put-token with SAS tokens checked against namespace or queue SAS rules
/// (signature, expiry, the rule's scope and rights); a link to an entity needs Send or Listen on it.</item>
/// <item>Peek-lock: the 16-byte delivery tag is the lock token; <c>x-opt-locked-until</c>; a lock that lapses makes the
/// message available again with its delivery count raised; past MaxDeliveryCount it is dead-lettered
/// (<c>MaxDeliveryCountExceeded</c>). Locks outlive the link that took them, as on Service Bus.</item>
/// <item>accepted = complete, modified/released = abandon, rejected = dead-letter with the reason from the error info;
/// <c>$management</c> renew-lock, update-disposition, schedule/cancel, peek.</item>
/// <item>Batched sends (message format 0x80013700) are split into their messages; scheduled messages
/// (<c>x-opt-scheduled-enqueue-time</c>) and TTL; a 256 KiB message size limit, advertised on attach.</item>
/// <item>Messages survive <see cref="StopAsync"/> / <see cref="StartAgain"/> (the broker "restarts" on the same port).</item>
/// </list>
/// </summary>
public sealed partial class TestServiceBus : IAsyncDisposable
{
    public const string RootKeyName = "RootManageSharedAccessKey";
    public const int MaxMessageSize = 256 * 1024;
    internal const string CbsSaslMechanism = "MSSBCBS";
    internal const uint BatchedMessageFormat = 0x80013700;

    private readonly ConcurrentDictionary<string, Entity> _entities = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<(string Scope, string Name), SasRule> _rules = new();
    private readonly Timer _clock;
    private readonly Lock _hostGate = new();
    private volatile bool _listening;
    private ContainerHost? _host;
    private long _sequence;

    private TestServiceBus(int port, string rootKey)
    {
        Port = port;
        _rules[("", RootKeyName)] = new SasRule("", RootKeyName, rootKey, ServiceBusRights.Manage);

        // Lock expiry, scheduled messages and TTL are checked a few times a second: far finer than any lock here.
        _clock = new Timer(_ => Tick(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>The AMQP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The namespace host name clients use (with the port in connection strings).</summary>
    public string Host => "127.0.0.1";

    /// <summary>CBS put-token requests seen (audience, token type), newest last, for tests of what clients authorize.</summary>
    public ConcurrentQueue<(string Audience, string Type, bool Accepted)> PutTokens { get; } = new();

    /// <summary>Whether a JWT put-token is accepted as Manage on the namespace (stands in for Entra ID RBAC).</summary>
    public bool AcceptJwt { get; set; }

    /// <summary>Starts a broker on a free loopback port (or <paramref name="port"/>) with a random root key.</summary>
    public static TestServiceBus Start(int? port = null)
    {
        var bus = new TestServiceBus(port ?? FreePort.Next(), Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        bus.StartAgain();
        return bus;
    }

    /// <summary>A connection string with the root (Manage) rule, optionally scoped to one queue with <c>EntityPath</c>.</summary>
    public string ConnectionString => ConnectionStringFor("", RootKeyName);

    /// <summary>The connection string of a rule, as <c>az ... authorization-rule keys list</c> prints it.</summary>
    public string ConnectionStringFor(string scope, string ruleName)
    {
        var rule = _rules.TryGetValue((scope, ruleName), out var found) ? found : throw new ArgumentException($"No SAS rule '{ruleName}' on '{scope}'.", nameof(ruleName));
        var entity = scope.Length > 0 ? ";EntityPath=" + scope : "";
        return string.Create(CultureInfo.InvariantCulture, $"Endpoint=sb://{Host}:{Port}/;SharedAccessKeyName={rule.Name};SharedAccessKey={rule.Key}{entity};UseDevelopmentEmulator=true");
    }

    /// <summary>Creates a queue (and its dead-letter sub-queue) if it does not exist yet.</summary>
    public void CreateQueue(string name, TestQueueSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _entities.GetOrAdd(name, n =>
        {
            var entity = new Entity(this, n, settings ?? new TestQueueSettings());
            lock (_hostGate)
            {
                _host?.RegisterRequestProcessor(entity.Path + "/$management", new ManagementProcessor(entity));
                _host?.RegisterRequestProcessor(entity.DeadLetters.Path + "/$management", new ManagementProcessor(entity.DeadLetters));
            }

            return entity;
        });
    }

    /// <summary>Adds a SAS rule on a queue (or on the namespace with an empty <paramref name="scope"/>); returns its key.</summary>
    public string AddRule(string scope, string ruleName, ServiceBusRights rights)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        _rules[(scope, ruleName)] = new SasRule(scope, ruleName, key, rights);
        return key;
    }

    /// <summary>
    /// Gives a rule a new key (<c>az servicebus queue authorization-rule keys renew</c>): tokens signed with the old key
    /// are refused from now on, and links authorized with them are detached.
    /// </summary>
    public void RegenerateKey(string scope, string ruleName)
    {
        var old = _rules[(scope, ruleName)];
        _rules[(scope, ruleName)] = old with { Key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) };
        foreach (var connection in Connections())
        {
            if (Claims(connection).Values.Any(c => c.Rule == old))
            {
                connection.Close(TimeSpan.Zero, new Error(new Symbol("amqp:unauthorized-access")) { Description = $"The key of SAS rule '{ruleName}' was regenerated." });
            }
        }
    }

    /// <summary>Messages waiting (not locked, not scheduled) in a queue or, with <c>/$deadletterqueue</c>, its dead-letter queue.</summary>
    public int ActiveCount(string path) => Find(Canonical(path))?.ActiveCount ?? throw new ArgumentException($"No queue '{path}'.", nameof(path));

    /// <summary>What each queue holds and who receives, for assertion messages.</summary>
    public string Describe() => string.Join('\n', _entities.Values.Select(e => e.Describe() + "\n" + e.DeadLetters.Describe()));

    /// <summary>Stops listening and drops every connection, keeping messages and locks, like a broker restart.</summary>
    public Task StopAsync()
    {
        lock (_hostGate)
        {
            _listening = false;
            _host?.Close();
            _host = null;
        }

        // The listener only sends each connection a close frame; a process that stops also drops the sockets, so clients
        // never keep using a connection they have not yet seen closed.
        foreach (var connection in Connections())
        {
            DropSocket(connection, new IOException("The test broker stopped."));
        }

        return Task.CompletedTask;
    }

    /// <summary>Listens again on the same port with the same queues and messages.</summary>
    public void StartAgain()
    {
        lock (_hostGate)
        {
            if (_host is not null)
            {
                throw new InvalidOperationException("The broker is running.");
            }

            var host = new ContainerHost(new Address(string.Create(CultureInfo.InvariantCulture, $"amqp://{Host}:{Port}")));
            var listener = host.Listeners[0];
            listener.SASL.EnableAnonymousMechanism = true;
            listener.SASL.EnableMechanism(new Symbol(CbsSaslMechanism), SaslProfile.Anonymous);
            listener.AMQP.MaxFrameSize = 262_144;
            listener.HandlerFactory = _ => new BrokerHandler(this);
            host.AddressResolver = (_, attach) => Resolve(attach);
            host.RegisterRequestProcessor("$cbs", new CbsProcessor(this));
            foreach (var entity in _entities.Values)
            {
                host.RegisterRequestProcessor(entity.Path + "/$management", new ManagementProcessor(entity));
                host.RegisterRequestProcessor(entity.DeadLetters.Path + "/$management", new ManagementProcessor(entity.DeadLetters));
            }

            host.RegisterLinkProcessor(new EntityLinkProcessor(this));
            _listening = true;
            host.Open();
            _host = host;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _clock.DisposeAsync();
        await StopAsync();
    }

    private static readonly Action<Connection, Exception> DropSocket =
        typeof(Connection).GetMethod("OnIoException", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.CreateDelegate<Action<Connection, Exception>>();

    internal long NextSequenceNumber() => Interlocked.Increment(ref _sequence);

    /// <summary>
    /// Canonical entity paths: the SDK and other clients address <c>queue</c>, <c>/queue</c>, <c>amqp://host/queue</c>,
    /// <c>queue/$DeadLetterQueue</c> and <c>queue/$management</c>; all compare case-insensitively.
    /// </summary>
    internal static string Canonical(string address)
    {
        var path = address.Trim();
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var slash = path.IndexOf('/', scheme + 3);
            path = slash < 0 ? "" : path[slash..];
        }

        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].StartsWith('$'))
            {
                parts[i] = parts[i].ToLowerInvariant();
            }
        }

        return string.Join('/', parts);
    }

    internal Entity? Find(string canonical)
    {
        var deadLetter = canonical.EndsWith("/$deadletterqueue", StringComparison.Ordinal);
        var name = deadLetter ? canonical[..^"/$deadletterqueue".Length] : canonical;
        return _entities.TryGetValue(name, out var entity) ? (deadLetter ? entity.DeadLetters : entity) : null;
    }

    private IEnumerable<ListenerConnection> Connections()
    {
        lock (_connectionsGate)
        {
            return [.. _connections];
        }
    }

    private void Tick()
    {
        foreach (var entity in _entities.Values)
        {
            entity.Tick();
            entity.DeadLetters.Tick();
        }
    }

    /// <summary>Makes the lock token the 16-byte delivery tag, as Service Bus does (reference A.4, "Lock tokens").</summary>
    /// <summary>
    /// Tags each delivery with its lock token, and tracks every connection from the moment it is accepted: one accepted
    /// while the broker stops must be dropped with the rest, or a client keeps a connection it never sees closed and
    /// waits on it forever (a restart case once stalled for minutes with no receiver and no error).
    /// </summary>
    private sealed class BrokerHandler(TestServiceBus bus) : IHandler
    {
        public bool CanHandle(EventId id) => id is EventId.SendDelivery or EventId.ConnectionAccept;

        public void Handle(Event protocolEvent)
        {
            if (protocolEvent.Id == EventId.ConnectionAccept && protocolEvent.Context is ListenerConnection connection)
            {
                bus.Track(connection);
            }
            else if (protocolEvent.Context is IDelivery delivery && delivery.Message?.DeliveryAnnotations?[LockTokenAnnotation] is Guid token)
            {
                delivery.Tag = token.ToByteArray();
            }
        }
    }

    internal static readonly Symbol LockTokenAnnotation = new("x-opt-lock-token");
}
