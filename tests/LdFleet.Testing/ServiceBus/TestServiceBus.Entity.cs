using System.Reflection;
using Amqp;
using Amqp.Framing;
using Amqp.Listener;
using Amqp.Types;

namespace LdFleet.Testing.ServiceBus;

/// <summary>Queues: peek-lock deliveries, settlement, lock expiry, scheduled messages (reference A.4, A.5).</summary>
public sealed partial class TestServiceBus
{
    internal static readonly Symbol LockLost = new("com.microsoft:message-lock-lost");
    private static readonly Symbol LockedUntilAnnotation = new("x-opt-locked-until");
    private static readonly Symbol EnqueuedTimeAnnotation = new("x-opt-enqueued-time");
    private static readonly Symbol SequenceNumberAnnotation = new("x-opt-sequence-number");
    private static readonly Symbol ScheduledAnnotation = new("x-opt-scheduled-enqueue-time");
    private static readonly Symbol DeadLetterSourceAnnotation = new("x-opt-deadletter-source");
    private static readonly Symbol DeadLetterCondition = new("com.microsoft:dead-letter");
    private static readonly Symbol MessageSizeExceeded = new("amqp:link:message-size-exceeded");

    // ListenerLink keeps its link credit internal; a delivery sent without credit would wrap the (unsigned) count, so the
    // broker reads what the link itself believes rather than keeping a second, drifting count.
    private static readonly Func<ListenerLink, uint> LinkCredit =
        typeof(ListenerLink).GetProperty("Credit", BindingFlags.Instance | BindingFlags.NonPublic)!.GetMethod!.CreateDelegate<Func<ListenerLink, uint>>();

    /// <summary>A message in a queue; <see cref="Failures"/> is what Service Bus sends as <c>header.delivery-count</c>.</summary>
    internal sealed record Stored(long SequenceNumber, Message Original, DateTime EnqueuedAt, DateTime VisibleAt, DateTime? ExpiresAt, uint Failures, IReadOnlyDictionary<string, object>? Extra, string? DeadLetterSource);

    /// <summary>A delivered, locked message.</summary>
    internal sealed class Held(Stored stored, DateTime lockedUntil, ListenerLink? link, Message delivered)
    {
        public Stored Stored { get; } = stored;

        public DateTime LockedUntil { get; set; } = lockedUntil;

        public ListenerLink? Link { get; } = link;

        public Message Delivered { get; } = delivered;
    }

    internal sealed class Entity
    {
        private readonly TestServiceBus _bus;
        private readonly Lock _gate = new();
        private readonly SortedDictionary<long, Stored> _ready = [];
        private readonly List<Stored> _scheduled = [];
        private readonly Dictionary<Guid, Held> _locked = [];
        private readonly List<ReceiverEndpoint> _receivers = [];
        private int _next;

        public Entity(TestServiceBus bus, string name, TestQueueSettings settings)
            : this(bus, name, settings, isDeadLetter: false)
        {
        }

        private Entity(TestServiceBus bus, string path, TestQueueSettings settings, bool isDeadLetter)
        {
            _bus = bus;
            Path = path;
            Settings = settings;
            IsDeadLetter = isDeadLetter;
            AuthorizationPath = isDeadLetter ? path[..^"/$deadletterqueue".Length] : path;
            DeadLetters = isDeadLetter ? this : new Entity(bus, path + "/$deadletterqueue", settings, isDeadLetter: true);
        }

        public string Path { get; }

        public TestServiceBus Bus => _bus;

        /// <summary>Where rights are checked: a rule on a queue covers its dead-letter queue too.</summary>
        public string AuthorizationPath { get; }

        public TestQueueSettings Settings { get; }

        public bool IsDeadLetter { get; }

        public Entity DeadLetters { get; }

        public int ActiveCount
        {
            get
            {
                lock (_gate)
                {
                    return _ready.Count;
                }
            }
        }

        public string Describe()
        {
            lock (_gate)
            {
                var now = DateTime.UtcNow;
                var locked = string.Join(", ", _locked.Values.Select(h => $"#{h.Stored.SequenceNumber} until {(h.LockedUntil - now).TotalSeconds:0.0}s link {(h.Link?.IsClosed == true ? "closed" : "open")}"));
                var receivers = string.Join(", ", _receivers.Select(r => $"{r.Link.Name} credit {LinkCredit(r.Link)} closed {r.Link.IsClosed} draining {r.Link.IsDraining}"));
                var ready = string.Join(", ", _ready.Values.Select(r => r.Extra?.TryGetValue("DeadLetterReason", out var why) == true ? $"{r.SequenceNumber} ({why}: {r.Extra["DeadLetterErrorDescription"]}; failures {r.Failures})" : r.SequenceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return $"{Path}: ready [{ready}], scheduled {_scheduled.Count}, locked [{locked}], receivers [{receivers}]";
            }
        }

        public void Enqueue(Message original)
        {
            var now = DateTime.UtcNow;
            var visibleAt = original.MessageAnnotations?[ScheduledAnnotation] is DateTime at ? at.ToUniversalTime() : now;
            var ttl = original.Header?.Ttl ?? 0;
            Add(new Stored(_bus.NextSequenceNumber(), original, now, visibleAt, ttl > 0 ? now.AddMilliseconds(ttl) : null, 0, null, null));
        }

        public long Schedule(Message original, DateTime visibleAt)
        {
            var stored = new Stored(_bus.NextSequenceNumber(), original, DateTime.UtcNow, visibleAt, null, 0, null, null);
            Add(stored);
            return stored.SequenceNumber;
        }

        public bool CancelScheduled(long sequenceNumber)
        {
            lock (_gate)
            {
                return _scheduled.RemoveAll(s => s.SequenceNumber == sequenceNumber) > 0;
            }
        }

        public IReadOnlyList<Stored> Peek(long fromSequenceNumber, int count)
        {
            lock (_gate)
            {
                return [.. _ready.Values.Concat(_locked.Values.Select(h => h.Stored)).Where(s => s.SequenceNumber >= fromSequenceNumber).OrderBy(s => s.SequenceNumber).Take(count)];
            }
        }

        public void AddReceiver(ReceiverEndpoint receiver)
        {
            lock (_gate)
            {
                _receivers.Add(receiver);
            }
        }

        public void RemoveReceiver(ReceiverEndpoint receiver)
        {
            lock (_gate)
            {
                _receivers.Remove(receiver);
            }
        }

        /// <summary>Hands ready messages to receivers with credit, round robin, and answers drains once nothing is left.</summary>
        public void Dispatch()
        {
            lock (_gate)
            {
                var now = DateTime.UtcNow;
                while (_ready.Count > 0)
                {
                    var receiver = NextWithCredit();
                    if (receiver is null)
                    {
                        break;
                    }

                    var (sequence, stored) = _ready.First();
                    _ready.Remove(sequence);
                    if (stored.ExpiresAt is { } expires && expires <= now)
                    {
                        continue;
                    }

                    if (!Deliver(receiver, stored, now))
                    {
                        // The link is going away: it must not be picked again, or this loop would spin on it.
                        _receivers.Remove(receiver);
                    }
                }

                foreach (var receiver in _receivers)
                {
                    // Drain: the client asked for what is there now; with nothing left, its remaining credit is used up.
                    if (receiver.Link.IsDraining && !receiver.Link.IsClosed)
                    {
                        receiver.Link.CompleteDrain();
                    }
                }
            }
        }

        /// <summary>Settles a locked message by its lock token; false when the lock is gone (expired or settled).</summary>
        public bool Settle(Guid lockToken, DeliveryState outcome)
        {
            lock (_gate)
            {
                if (!_locked.Remove(lockToken, out var held))
                {
                    return false;
                }

                switch (outcome)
                {
                    case Accepted:
                        break;
                    case Rejected rejected when rejected.Error?.Condition?.ToString() != DeadLetterCondition.ToString():
                        // Not a dead-letter with a reason: the SDK's AMQP library refusing a transfer it can no longer take
                        // (seen around reconnects). Deviation: on Service Bus a plain rejected is also the SDK's dead-letter
                        // without a reason, which LdFleet never sends; here it gives the message back without counting it.
                        _ready[held.Stored.SequenceNumber] = held.Stored;
                        break;
                    case Rejected rejected:
                        var info = rejected.Error?.Info;
                        DeadLetter(held.Stored, Text(info, "DeadLetterReason") ?? "", Text(info, "DeadLetterErrorDescription") ?? "");
                        break;
                    case Modified modified:
                        Abandon(held.Stored, Properties(modified.MessageAnnotations));
                        break;
                    default:
                        // Released: "not acted upon" (AMQP 1.0, 3.4.4), so the delivery does not count, unlike an abandon.
                        _ready[held.Stored.SequenceNumber] = held.Stored;
                        break;
                }
            }

            Dispatch();
            return true;
        }

        public DateTime? Renew(Guid lockToken)
        {
            lock (_gate)
            {
                if (!_locked.TryGetValue(lockToken, out var held) || held.LockedUntil <= DateTime.UtcNow)
                {
                    return null;
                }

                held.LockedUntil = DateTime.UtcNow + Settings.LockDuration;
                return held.LockedUntil;
            }
        }

        public void DeadLetterByToken(Guid lockToken, string reason, string description) =>
            Settle(lockToken, new Rejected { Error = new Error(DeadLetterCondition) { Info = new Fields { [new Symbol("DeadLetterReason")] = reason, [new Symbol("DeadLetterErrorDescription")] = description } } });

        /// <summary>Lapsed locks, due scheduled messages and expired messages; then delivers what became available.</summary>
        public void Tick()
        {
            var changed = false;
            lock (_gate)
            {
                var now = DateTime.UtcNow;
                foreach (var (token, held) in _locked.Where(l => l.Value.LockedUntil <= now).ToArray())
                {
                    // The lock lapsed: the message is available again and counts one more delivery (reference A.4).
                    _locked.Remove(token);
                    Abandon(held.Stored, null);
                    changed = true;
                }

                foreach (var due in _scheduled.Where(s => s.VisibleAt <= now).ToArray())
                {
                    _scheduled.Remove(due);
                    _ready[due.SequenceNumber] = due;
                    changed = true;
                }

                foreach (var expired in _ready.Values.Where(s => s.ExpiresAt <= now).ToArray())
                {
                    _ready.Remove(expired.SequenceNumber);
                }

                changed |= _ready.Count > 0 && _receivers.Count > 0;
            }

            if (changed)
            {
                Dispatch();
            }
        }

        private void Add(Stored stored)
        {
            lock (_gate)
            {
                if (stored.VisibleAt > DateTime.UtcNow)
                {
                    _scheduled.Add(stored);
                }
                else
                {
                    _ready[stored.SequenceNumber] = stored;
                }
            }

            Dispatch();
        }

        private void Abandon(Stored stored, IReadOnlyDictionary<string, object>? modified)
        {
            var again = stored with { Failures = stored.Failures + 1, Extra = Merge(stored.Extra, modified) };
            if (!IsDeadLetter && again.Failures >= Settings.MaxDeliveryCount)
            {
                DeadLetter(again, "MaxDeliveryCountExceeded", $"Message could not be consumed after {Settings.MaxDeliveryCount} delivery attempts.");
                return;
            }

            _ready[again.SequenceNumber] = again;
        }

        private void DeadLetter(Stored stored, string reason, string description)
        {
            if (IsDeadLetter)
            {
                // A dead-letter queue has no dead-letter queue: the message stays (reference A.3).
                _ready[stored.SequenceNumber] = stored;
                return;
            }

            var extra = Merge(stored.Extra, new Dictionary<string, object> { ["DeadLetterReason"] = reason, ["DeadLetterErrorDescription"] = description });
            DeadLetters.Add(stored with { SequenceNumber = _bus.NextSequenceNumber(), Extra = extra, DeadLetterSource = Path, VisibleAt = DateTime.UtcNow, ExpiresAt = null });
        }

        private ReceiverEndpoint? NextWithCredit()
        {
            for (var i = 0; i < _receivers.Count; i++)
            {
                var receiver = _receivers[(_next + i) % _receivers.Count];
                if (!receiver.Link.IsClosed && LinkCredit(receiver.Link) > 0)
                {
                    _next = (_next + i + 1) % _receivers.Count;
                    return receiver;
                }
            }

            return null;
        }

        private bool Deliver(ReceiverEndpoint receiver, Stored stored, DateTime now)
        {
            var token = Guid.NewGuid();
            var lockedUntil = now + Settings.LockDuration;
            var delivered = Copy(stored, lockedUntil, token);
            _locked[token] = new Held(stored, lockedUntil, receiver.Link, delivered);
            try
            {
                receiver.Link.SendMessage(delivered);
                return true;
            }
            catch (Exception ex) when (ex is AmqpException or ObjectDisposedException or InvalidOperationException)
            {
                // The link went away between the credit check and the send: the message stays available.
                _locked.Remove(token);
                _ready[stored.SequenceNumber] = stored;
                return false;
            }
        }

        public static Message CopyForPeek(Stored stored)
        {
            var copy = Copy(stored, DateTime.MinValue, Guid.Empty);
            copy.DeliveryAnnotations = null;
            return copy;
        }

        private static Message Copy(Stored stored, DateTime lockedUntil, Guid token)
        {
            var source = stored.Original;
            var annotations = new MessageAnnotations();
            foreach (var (key, value) in source.MessageAnnotations?.Map ?? new Map())
            {
                annotations[key] = value;
            }

            annotations[LockedUntilAnnotation] = lockedUntil;
            annotations[EnqueuedTimeAnnotation] = stored.EnqueuedAt;
            annotations[SequenceNumberAnnotation] = stored.SequenceNumber;
            if (stored.DeadLetterSource is { } source2)
            {
                annotations[DeadLetterSourceAnnotation] = source2;
            }

            var properties = new ApplicationProperties();
            foreach (var (key, value) in source.ApplicationProperties?.Map ?? new Map())
            {
                properties[key] = value;
            }

            foreach (var (key, value) in stored.Extra ?? new Dictionary<string, object>())
            {
                properties[key] = value;
            }

            return new Message
            {
                Header = new Header { DeliveryCount = stored.Failures, Ttl = source.Header?.Ttl ?? 0, Durable = true },
                DeliveryAnnotations = new DeliveryAnnotations { [LockTokenAnnotation] = token },
                MessageAnnotations = annotations,
                Properties = source.Properties,
                ApplicationProperties = properties,
                BodySection = source.BodySection,
            };
        }

        private static IReadOnlyDictionary<string, object>? Merge(IReadOnlyDictionary<string, object>? first, IReadOnlyDictionary<string, object>? second)
        {
            if (second is null || second.Count == 0)
            {
                return first;
            }

            var merged = new Dictionary<string, object>(first ?? new Dictionary<string, object>(), StringComparer.Ordinal);
            foreach (var (key, value) in second)
            {
                merged[key] = value;
            }

            return merged;
        }

        private static Dictionary<string, object>? Properties(Fields? map)
        {
            if (map is null || map.Count == 0)
            {
                return null;
            }

            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var (key, value) in map)
            {
                if (value is not null)
                {
                    result[key.ToString()!] = value;
                }
            }

            return result;
        }

        private static string? Text(Fields? fields, string key)
        {
            if (fields is null)
            {
                return null;
            }

            foreach (var (name, value) in fields)
            {
                if (name.ToString() == key)
                {
                    return value?.ToString();
                }
            }

            return null;
        }
    }

    /// <summary>A client's receive link: the broker sends deliveries as the client's credit allows.</summary>
    internal sealed class ReceiverEndpoint : LinkEndpoint
    {
        private readonly Entity _entity;

        public ReceiverEndpoint(Entity entity, ListenerLink link)
        {
            _entity = entity;
            Link = link;
            entity.AddReceiver(this);
        }

        public ListenerLink Link { get; }

        public override void OnFlow(FlowContext flowContext)
        {
            ArgumentNullException.ThrowIfNull(flowContext);
            _entity.Dispatch();

            // A closing SDK receiver drains its credit and waits for the answer; answer even if this link is no longer
            // among the entity's receivers.
            if (flowContext.Link.IsDraining && !flowContext.Link.IsClosed)
            {
                flowContext.Link.CompleteDrain();
            }
        }

        public override void OnDisposition(DispositionContext dispositionContext)
        {
            ArgumentNullException.ThrowIfNull(dispositionContext);

            // A closing link reports its unsettled deliveries as released, and a client whose connection is being closed
            // rejects (without a reason) what still arrives: neither is the application's settlement. On Service Bus the
            // locks outlive the link (they can still be settled through $management) and lapse on their own.
            var link = dispositionContext.Link;
            var closing = link.IsClosed || link.Session.IsClosed || link.Session.Connection.IsClosed;
            if (closing && (dispositionContext.DeliveryState is Released || (dispositionContext.DeliveryState is Rejected rejected && rejected.Error?.Condition?.ToString() != DeadLetterCondition.ToString())))
            {
                return;
            }

            var message = dispositionContext.Message;
            var settled = message.DeliveryAnnotations?[LockTokenAnnotation] is Guid token && _entity.Settle(token, dispositionContext.DeliveryState);
            try
            {
                link.DisposeMessage(
                    message,

                    // The SDK reads any answer but accepted as a failed settlement (and then retries it over $management).
                    settled ? new Accepted() : new Rejected { Error = new Error(LockLost) { Description = "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue." } },
                    true);
            }
            catch (AmqpException) when (closing)
            {
                // Settled here all the same; the client learns it when it retries over $management (lock lost).
            }
        }

        public override void OnLinkClosed(ListenerLink link, Error error) => _entity.RemoveReceiver(this);
    }

    /// <summary>A client's send link: messages (and batches, split) go into the queue, within the size limit.</summary>
    internal sealed class SenderEndpoint(Entity entity) : LinkEndpoint
    {
        public override void OnMessage(MessageContext messageContext)
        {
            ArgumentNullException.ThrowIfNull(messageContext);
            var message = messageContext.Message;
            var parts = message.Format == BatchedMessageFormat ? Split(message) : [message];
            foreach (var part in parts)
            {
                var size = part.Encode().Length;
                if (size > MaxMessageSize)
                {
                    messageContext.Complete(new Error(MessageSizeExceeded) { Description = $"The received message (size {size} bytes) exceeds the limit ({MaxMessageSize} bytes) currently allowed on the link." });
                    return;
                }
            }

            foreach (var part in parts)
            {
                entity.Enqueue(part);
            }

            messageContext.Complete();
        }

        public override void OnFlow(FlowContext flowContext)
        {
        }

        public override void OnDisposition(DispositionContext dispositionContext)
        {
        }

        /// <summary>A batch is one transfer whose body is a Data section per message, each a whole encoded message (reference A.6).</summary>
        private static List<Message> Split(Message batch) => batch.BodySection switch
        {
            DataList list => [.. Enumerable.Range(0, list.Count).Select(i => Decode(list[i].Binary))],
            Data data => [Decode(data.Binary)],
            _ => [],
        };

        private static Message Decode(byte[] bytes) => Message.Decode(new ByteBuffer(bytes, 0, bytes.Length, bytes.Length));
    }
}
