using Amqp;
using Amqp.Framing;
using Amqp.Listener;
using Amqp.Types;

namespace LdFleet.Testing.ServiceBus;

/// <summary>
/// Each queue's <c>$management</c> node (reference A.4, "Renew lock"; request/response operations): renew-lock,
/// update-disposition (settling by lock token, also after the receive link closed), schedule-message,
/// cancel-scheduled-message and peek-message. Answers carry <c>statusCode</c>/<c>statusDescription</c>.
/// </summary>
public sealed partial class TestServiceBus
{
    private sealed class ManagementProcessor(Entity entity) : IRequestProcessor
    {
        public int Credit => 100;

        public void Process(RequestContext requestContext)
        {
            var request = requestContext.Message;
            var operation = request.ApplicationProperties?["operation"]?.ToString() ?? "";
            var body = request.Body as Map;
            var bus = Bus(entity);
            var connection = requestContext.Link.Session.Connection;
            var needs = operation is "com.microsoft:schedule-message" or "com.microsoft:cancel-scheduled-message" ? ServiceBusRights.Send : ServiceBusRights.Listen;
            // A token for the queue covers its $management node; so does one put for the node itself, as the SDK does.
            if (!bus.IsAuthorized(connection, entity.AuthorizationPath + "/$management", needs))
            {
                requestContext.Complete(Status(401, $"Unauthorized access. '{needs}' claim(s) are required to perform this operation.", UnauthorizedAccess));
                return;
            }

            requestContext.Complete(operation switch
            {
                "com.microsoft:renew-lock" => RenewLocks(body),
                "com.microsoft:update-disposition" => UpdateDisposition(body),
                "com.microsoft:schedule-message" => ScheduleMessages(body),
                "com.microsoft:cancel-scheduled-message" => CancelScheduled(body),
                "com.microsoft:peek-message" => PeekMessages(body),
                _ => Status(501, $"Operation '{operation}' is not implemented by the test broker.", new Symbol("com.microsoft:not-implemented")),
            });
        }

        private Message RenewLocks(Map? body)
        {
            var tokens = Get(body, "lock-tokens") as Guid[] ?? [];
            var expirations = new DateTime[tokens.Length];
            for (var i = 0; i < tokens.Length; i++)
            {
                if (entity.Renew(tokens[i]) is not { } until)
                {
                    return LockLostStatus();
                }

                expirations[i] = until;
            }

            return Ok(new Map { ["expirations"] = expirations });
        }

        private Message UpdateDisposition(Map? body)
        {
            var tokens = Get(body, "lock-tokens") as Guid[] ?? [];
            var status = Get(body, "disposition-status")?.ToString();
            if (status is not ("completed" or "abandoned" or "suspended"))
            {
                return Status(501, $"Disposition '{status}' is not implemented by the test broker (deferral is not supported).", new Symbol("com.microsoft:not-implemented"));
            }

            foreach (var token in tokens)
            {
                var settled = status switch
                {
                    "completed" => entity.Settle(token, new Accepted()),
                    "abandoned" => entity.Settle(token, new Modified { MessageAnnotations = Annotations(Get(body, "properties-to-modify") as Map) }),
                    "suspended" => entity.Settle(token, new Rejected
                    {
                        Error = new Error(DeadLetterCondition)
                        {
                            Info = new Fields
                            {
                                [new Symbol("DeadLetterReason")] = Get(body, "deadletter-reason")?.ToString() ?? "",
                                [new Symbol("DeadLetterErrorDescription")] = Get(body, "deadletter-description")?.ToString() ?? "",
                            },
                        },
                    }),
                    _ => false,
                };
                if (!settled)
                {
                    return LockLostStatus();
                }
            }

            return Ok(new Map());
        }

        private Message ScheduleMessages(Map? body)
        {
            var sequenceNumbers = new List<long>();
            foreach (var item in Get(body, "messages") as List ?? [])
            {
                if (item is Map entry && Get(entry, "message") is byte[] encoded)
                {
                    var message = Message.Decode(new ByteBuffer(encoded, 0, encoded.Length, encoded.Length));
                    var at = message.MessageAnnotations?[ScheduledAnnotation] is DateTime when ? when.ToUniversalTime() : DateTime.UtcNow;
                    sequenceNumbers.Add(entity.Schedule(message, at));
                }
            }

            return Ok(new Map { ["sequence-numbers"] = sequenceNumbers.ToArray() });
        }

        private Message CancelScheduled(Map? body)
        {
            foreach (var sequenceNumber in Get(body, "sequence-numbers") as long[] ?? [])
            {
                entity.CancelScheduled(sequenceNumber);
            }

            return Ok(new Map());
        }

        private Message PeekMessages(Map? body)
        {
            var from = Convert.ToInt64(Get(body, "from-sequence-number") ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
            var count = Convert.ToInt32(Get(body, "message-count") ?? 1, System.Globalization.CultureInfo.InvariantCulture);
            var peeked = entity.Peek(from, count);
            if (peeked.Count == 0)
            {
                return Status(204, "No messages", null);
            }

            var list = new List();
            foreach (var stored in peeked)
            {
                var copy = Entity.CopyForPeek(stored);
                var buffer = copy.Encode();
                list.Add(new Map { ["message"] = buffer.Buffer[buffer.Offset..(buffer.Offset + buffer.Length)] });
            }

            return Ok(new Map { ["messages"] = list });
        }

        private static Fields? Annotations(Map? properties)
        {
            if (properties is null)
            {
                return null;
            }

            var annotations = new Fields();
            foreach (var (key, value) in properties)
            {
                annotations[new Symbol(key.ToString()!)] = value;
            }

            return annotations;
        }

        private static Message Ok(Map body) => new()
        {
            ApplicationProperties = new ApplicationProperties { ["statusCode"] = 200, ["statusDescription"] = "OK" },
            BodySection = new AmqpValue { Value = body },
        };

        private static Message LockLostStatus() => Status(410, "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.", LockLost);

        private static Message Status(int code, string description, Symbol? condition)
        {
            var properties = new ApplicationProperties { ["statusCode"] = code, ["statusDescription"] = description };
            if (condition is not null)
            {
                properties["errorCondition"] = condition;
            }

            return new Message { ApplicationProperties = properties };
        }

        // Clients key these maps with strings or symbols; compare by text.
        private static object? Get(Map? map, string key)
        {
            foreach (var (name, value) in map ?? new Map())
            {
                if (name.ToString() == key)
                {
                    return value;
                }
            }

            return null;
        }

        private static TestServiceBus Bus(Entity entity) => entity.Bus;
    }
}
