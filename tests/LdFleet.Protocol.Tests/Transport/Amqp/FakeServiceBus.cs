using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Amqp;
using Amqp.Framing;
using Amqp.Handler;
using Amqp.Listener;
using Amqp.Types;
using LdFleet.Testing;

namespace LdFleet.Protocol.Tests.Transport.Amqp;

/// <summary>
/// A small in-process Service Bus built on AMQPNetLite's listener API, answering as reference A documents:
/// SASL PLAIN or ANONYMOUS + <c>$cbs</c> put-token (status-code), peek-lock deliveries whose 16-byte delivery tag
/// is the lock token, <c>x-opt-locked-until</c>, modified → redelivery with a higher count, rejected with
/// <c>com.microsoft:dead-letter</c> → the <c>$deadletterqueue</c> with DeadLetterReason properties, and
/// <c>$management</c> renew-lock (statusCode, expirations). It only listens on 127.0.0.1.
/// </summary>
internal sealed class FakeServiceBus : IDisposable
{
    public const string KeyName = "RootManageSharedAccessKey";
    public const string Key = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seQ==";
    public static readonly TimeSpan LockDuration = TimeSpan.FromSeconds(30);

    private readonly ContainerHost _host;
    private readonly ConcurrentDictionary<string, FakeEntity> _entities = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ListenerConnection, byte> _connections = new();

    public FakeServiceBus(string queue, bool webSockets = false)
    {
        Queue = queue;
        Port = FreePort.Next();
        var address = webSockets
            ? new Address($"ws://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/$servicebus/websocket/")
            : new Address($"amqp://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");
        _host = new ContainerHost(address);
        var listener = _host.Listeners[0];
        listener.SASL.EnablePlainMechanism(KeyName, Key);
        listener.SASL.EnableAnonymousMechanism = true;
        listener.HandlerFactory = _ => new LockTokenTagger(this);

        var main = new FakeEntity(this, queue);
        var deadLetters = new FakeEntity(this, queue + "/$deadletterqueue");
        main.DeadLetters = deadLetters;
        _entities[main.Path] = main;
        _entities[deadLetters.Path] = deadLetters;
        foreach (var entity in _entities.Values)
        {
            _host.RegisterMessageProcessor(entity.Path, entity);
            _host.RegisterMessageSource(entity.Path, entity);
        }

        _host.RegisterRequestProcessor("$cbs", new CbsProcessor(this));
        _host.RegisterRequestProcessor(queue + "/$management", new ManagementProcessor(this, main));
        _host.Open();
    }

    public string Queue { get; }

    public int Port { get; }

    /// <summary>Sends still to be refused with <c>com.microsoft:server-busy</c>.</summary>
    public int BusyRejectionsLeft;

    public ConcurrentQueue<PutToken> PutTokens { get; } = new();

    public ConcurrentQueue<(string Entity, DeliveryState State)> Dispositions { get; } = new();

    public ConcurrentQueue<(Guid[] LockTokens, string? LinkName)> Renewals { get; } = new();

    public ConcurrentQueue<Message> Sent { get; } = new();

    public int SendAttempts;

    /// <summary>How many AMQP connections were opened (to see reconnects).</summary>
    public int ConnectionCount => _connections.Count;

    public string ConnectionString(string extra = "") =>
        $"Endpoint=sb://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/;SharedAccessKeyName={KeyName};SharedAccessKey={Key};UseDevelopmentEmulator=true{extra}";

    /// <summary>Drops every client connection as the service does on <c>amqp:connection:forced</c>.</summary>
    public void DropConnections()
    {
        foreach (var connection in _connections.Keys)
        {
            if (!connection.IsClosed)
            {
                connection.Close(TimeSpan.Zero, new Error(ErrorCode.ConnectionForced) { Description = "test drops the connection" });
            }
        }
    }

    public void Dispose() => _host.Close();

    /// <summary>Checks a SAS token the way the service does (reference A.2, "SAS token format and signing").</summary>
    public static bool IsValidSas(string token, string audience)
    {
        var fields = token.Replace("SharedAccessSignature ", "", StringComparison.Ordinal).Split('&')
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var resource = WebUtility.UrlDecode(fields["sr"]);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.UTF8.GetBytes(WebUtility.UrlEncode(resource) + "\n" + fields["se"])));
        return resource == audience && WebUtility.UrlDecode(fields["sig"]) == expected && WebUtility.UrlDecode(fields["skn"]) == KeyName;
    }

    public sealed record PutToken(string Audience, string Type, string Token);

    private sealed class FakeEntity(FakeServiceBus bus, string path) : IMessageProcessor, IMessageSource
    {
        private readonly Channel<Stored> _ready = Channel.CreateUnbounded<Stored>();
        private readonly ConcurrentDictionary<Guid, Stored> _locked = new();

        public string Path { get; } = path;

        public FakeEntity? DeadLetters { get; set; }

        public int Credit => 100;

        public void Process(MessageContext messageContext)
        {
            bus._connections.TryAdd((ListenerConnection)messageContext.Link.Session.Connection, 0);
            Interlocked.Increment(ref bus.SendAttempts);
            if (Interlocked.Decrement(ref bus.BusyRejectionsLeft) >= 0)
            {
                messageContext.Complete(new Error(new Symbol("com.microsoft:server-busy")) { Description = "The request was terminated because the entity is being throttled. Please wait 2 seconds and try again." });
                return;
            }

            bus.Sent.Enqueue(messageContext.Message);
            Add(new Stored(messageContext.Message, 0, null));
            messageContext.Complete();
        }

        public async Task<ReceiveContext> GetMessageAsync(ListenerLink link)
        {
            bus._connections.TryAdd((ListenerConnection)link.Session.Connection, 0);
            var stored = await _ready.Reader.ReadAsync();
            var token = Guid.NewGuid();
            var lockedUntil = DateTime.UtcNow + LockDuration;
            _locked[token] = stored;
            var source = stored.Message;
            var copy = new Message
            {
                BodySection = source.BodySection,
                Header = new Header { DeliveryCount = stored.DeliveryCount, Ttl = source.Header?.Ttl ?? 0 },
                Properties = source.Properties,
                ApplicationProperties = new ApplicationProperties(),
                MessageAnnotations = new MessageAnnotations
                {
                    [new Symbol("x-opt-locked-until")] = lockedUntil,
                    [new Symbol("x-opt-enqueued-time")] = DateTime.UtcNow,
                },
            };
            foreach (var (key, value) in source.ApplicationProperties?.Map ?? new Map())
            {
                copy.ApplicationProperties[key] = value;
            }

            foreach (var (key, value) in stored.ExtraProperties ?? [])
            {
                copy.ApplicationProperties[key] = value;
            }

            return new ReceiveContext(link, copy) { UserToken = token };
        }

        public void DisposeMessage(ReceiveContext receiveContext, DispositionContext dispositionContext)
        {
            var token = (Guid)receiveContext.UserToken;
            bus.Dispositions.Enqueue((Path, dispositionContext.DeliveryState));
            if (_locked.TryRemove(token, out var stored))
            {
                switch (dispositionContext.DeliveryState)
                {
                    case Modified or Released:
                        // Abandon: back to the queue with the delivery count raised (reference A.4, "Max delivery count").
                        Add(stored with { DeliveryCount = stored.DeliveryCount + 1 });
                        break;
                    case Rejected { Error: { } error } when error.Condition?.ToString() == "com.microsoft:dead-letter" && DeadLetters is not null:
                        var info = new Dictionary<string, string>(StringComparer.Ordinal);
                        foreach (var (key, value) in error.Info ?? new Fields())
                        {
                            info[key.ToString()!] = value?.ToString() ?? "";
                        }

                        DeadLetters.Add(stored with { ExtraProperties = info });
                        break;
                }
            }

            dispositionContext.Complete();
        }

        public DateTime? Renew(Guid token) => _locked.ContainsKey(token) ? DateTime.UtcNow + LockDuration : null;

        private void Add(Stored stored) => _ready.Writer.TryWrite(stored);

        private sealed record Stored(Message Message, uint DeliveryCount, Dictionary<string, string>? ExtraProperties);
    }

    private sealed class CbsProcessor(FakeServiceBus bus) : IRequestProcessor
    {
        public int Credit => 100;

        public void Process(RequestContext requestContext)
        {
            var request = requestContext.Message;
            var audience = request.ApplicationProperties["name"]?.ToString() ?? "";
            var type = request.ApplicationProperties["type"]?.ToString() ?? "";
            var token = request.Body?.ToString() ?? "";
            bus.PutTokens.Enqueue(new PutToken(audience, type, token));
            var valid = type == "jwt" ? token.Length > 0 : IsValidSas(token, audience);
            requestContext.Complete(new Message
            {
                ApplicationProperties = new ApplicationProperties
                {
                    ["status-code"] = valid ? 202 : 401,
                    ["status-description"] = valid ? "Accepted" : "InvalidSignature",
                },
            });
        }
    }

    private sealed class ManagementProcessor(FakeServiceBus bus, FakeEntity entity) : IRequestProcessor
    {
        public int Credit => 100;

        public void Process(RequestContext requestContext)
        {
            var request = requestContext.Message;
            if (request.ApplicationProperties["operation"]?.ToString() != "com.microsoft:renew-lock" || request.Body is not Map body || body["lock-tokens"] is not Guid[] tokens)
            {
                requestContext.Complete(new Message { ApplicationProperties = new ApplicationProperties { ["statusCode"] = 400, ["statusDescription"] = "bad request" } });
                return;
            }

            bus.Renewals.Enqueue((tokens, request.ApplicationProperties["associated-link-name"]?.ToString()));
            var expirations = tokens.Select(entity.Renew).ToArray();
            if (expirations.Any(e => e is null))
            {
                requestContext.Complete(new Message { ApplicationProperties = new ApplicationProperties { ["statusCode"] = 410, ["statusDescription"] = "lock lost", ["errorCondition"] = new Symbol("com.microsoft:message-lock-lost") } });
                return;
            }

            requestContext.Complete(new Message
            {
                ApplicationProperties = new ApplicationProperties { ["statusCode"] = 200 },
                BodySection = new AmqpValue { Value = new Map { ["expirations"] = expirations.Select(e => e!.Value).ToArray() } },
            });
        }
    }

    /// <summary>Makes the lock token the 16-byte delivery tag, as Service Bus does (reference A.4, "Lock tokens").</summary>
    private sealed class LockTokenTagger(FakeServiceBus bus) : IHandler
    {
        public bool CanHandle(EventId id) => id is EventId.SendDelivery or EventId.ConnectionRemoteOpen;

        public void Handle(Event protocolEvent)
        {
            if (protocolEvent.Id == EventId.SendDelivery && protocolEvent.Context is IDelivery { UserToken: ReceiveContext { UserToken: Guid token } } delivery)
            {
                delivery.Tag = token.ToByteArray();
            }
            else if (protocolEvent.Id == EventId.ConnectionRemoteOpen && protocolEvent.Connection is ListenerConnection connection)
            {
                bus._connections.TryAdd(connection, 0);
            }
        }
    }
}
