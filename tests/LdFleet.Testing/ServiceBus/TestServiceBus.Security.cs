using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Amqp;
using Amqp.Framing;
using Amqp.Listener;
using Amqp.Types;

namespace LdFleet.Testing.ServiceBus;

/// <summary>CBS, SAS rules and what each connection was granted (reference A.2).</summary>
public sealed partial class TestServiceBus
{
    internal const string SasTokenType = "servicebus.windows.net:sastoken";
    internal const string JwtTokenType = "jwt";
    internal static readonly Symbol UnauthorizedAccess = new("amqp:unauthorized-access");

    private readonly ConditionalWeakTable<Connection, ConcurrentDictionary<string, Claim>> _claims = new();
    private readonly HashSet<ListenerConnection> _connections = [];
    private readonly Lock _connectionsGate = new();

    /// <summary>A SAS rule on the namespace (empty scope) or on one queue.</summary>
    internal sealed record SasRule(string Scope, string Name, string Key, ServiceBusRights Rights);

    /// <summary>What one put-token granted on one connection: rights on an audience (an entity path, or "" for all).</summary>
    internal sealed record Claim(string Audience, ServiceBusRights Rights, DateTimeOffset ExpiresAt, SasRule? Rule);

    /// <summary>Whether the connection holds a current token with <paramref name="right"/> on <paramref name="entityPath"/>.</summary>
    internal bool IsAuthorized(Connection connection, string entityPath, ServiceBusRights right)
    {
        var now = DateTimeOffset.UtcNow;
        return Claims(connection).Values.Any(c =>
            (c.Rights & right) == right
            && c.ExpiresAt > now
            && Covers(c.Audience, entityPath)

            // A token signed with a key that was regenerated since is worthless.
            && (c.Rule is null || (_rules.TryGetValue((c.Rule.Scope, c.Rule.Name), out var current) && current == c.Rule)));
    }

    private ConcurrentDictionary<string, Claim> Claims(Connection connection) => _claims.GetOrCreateValue(connection);

    private void Track(ListenerConnection connection)
    {
        lock (_connectionsGate)
        {
            if (_connections.Add(connection))
            {
                connection.Closed += (sender, _) =>
                {
                    lock (_connectionsGate)
                    {
                        _connections.Remove((ListenerConnection)sender);
                    }
                };
            }
        }

        // Stopped after the connection came in but before it was tracked: StopAsync's sweep missed it.
        if (!_listening)
        {
            DropSocket(connection, new IOException("The test broker stopped."));
        }
    }

    /// <summary>"" covers everything; "q" covers "q" and "q/$deadletterqueue".</summary>
    private static bool Covers(string scope, string path) =>
        scope.Length == 0 || string.Equals(scope, path, StringComparison.OrdinalIgnoreCase) || path.StartsWith(scope + "/", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Checks a SAS token as the service does: <c>sig = base64(HMACSHA256(key, urlencoded(sr) + "\n" + se))</c> with the key of
    /// rule <c>skn</c>, not expired, the rule's scope covering <c>sr</c> and <c>sr</c> covering the audience. The signature is
    /// computed over <c>sr</c> exactly as the token carries it, so clients that percent-encode differently still verify.
    /// </summary>
    private Claim? CheckSas(string token, string audience, out string why)
    {
        const string Prefix = "SharedAccessSignature ";
        if (!token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            why = "not a SharedAccessSignature token";
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in token[Prefix.Length..].Split('&'))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length == 2)
            {
                fields[parts[0]] = parts[1];
            }
        }

        if (!fields.TryGetValue("sr", out var encodedResource) || !fields.TryGetValue("sig", out var signature)
            || !fields.TryGetValue("se", out var expiry) || !fields.TryGetValue("skn", out var keyName)
            || !long.TryParse(expiry, NumberStyles.None, CultureInfo.InvariantCulture, out var expirySeconds))
        {
            why = "the token lacks sr, sig, se or skn";
            return null;
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(expirySeconds);
        if (expiresAt <= DateTimeOffset.UtcNow)
        {
            why = "the token has expired";
            return null;
        }

        var resource = Canonical(WebUtility.UrlDecode(encodedResource));
        if (!Covers(resource, audience))
        {
            why = $"the token is for '{resource}', not '{audience}'";
            return null;
        }

        var name = WebUtility.UrlDecode(keyName);
        var given = WebUtility.UrlDecode(signature);
        foreach (var rule in _rules.Values.Where(r => r.Name == name && Covers(r.Scope, resource)))
        {
            var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(rule.Key), Encoding.UTF8.GetBytes(encodedResource + "\n" + expiry)));
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(given)))
            {
                why = "";
                return new Claim(audience, rule.Rights, expiresAt, rule);
            }
        }

        why = $"no SAS rule '{name}' covering '{resource}' signed it";
        return null;
    }

    /// <summary>The <c>$cbs</c> node: put-token requests, answered with <c>status-code</c> (reference A.2, "CBS request/response shape").</summary>
    private sealed class CbsProcessor(TestServiceBus bus) : IRequestProcessor
    {
        public int Credit => 100;

        public void Process(RequestContext requestContext)
        {
            var request = requestContext.Message;
            var connection = (ListenerConnection)requestContext.Link.Session.Connection;
            bus.Track(connection);
            var audience = Canonical(request.ApplicationProperties?["name"]?.ToString() ?? "");
            var type = request.ApplicationProperties?["type"]?.ToString() ?? "";
            var token = request.Body?.ToString() ?? "";
            Claim? claim;
            string why;
            if (type == JwtTokenType)
            {
                claim = bus.AcceptJwt && token.Length > 0 ? new Claim(audience, ServiceBusRights.Manage, DateTimeOffset.UtcNow.AddHours(1), null) : null;
                why = "JWT tokens are not accepted by this broker";
            }
            else if (type == SasTokenType)
            {
                claim = bus.CheckSas(token, audience, out why);
            }
            else
            {
                claim = null;
                why = $"unknown token type '{type}'";
            }

            if (claim is not null)
            {
                bus.Claims(connection)[audience] = claim;
            }

            bus.PutTokens.Enqueue((audience, type, claim is not null));
            requestContext.Complete(new Message
            {
                ApplicationProperties = new ApplicationProperties
                {
                    ["status-code"] = claim is not null ? 202 : 401,
                    ["status-description"] = claim is not null ? "Accepted" : "Unauthorized: " + why,
                },
            });
        }
    }

    /// <summary>
    /// Routes an attach: <c>$cbs</c> and each entity's <c>$management</c> node go to their request processors, entities to
    /// <see cref="EntityLinkProcessor"/>; addresses are made canonical first.
    /// </summary>
    private static string Resolve(Attach attach)
    {
        var address = attach.Role ? (attach.Source as Source)?.Address : (attach.Target as Target)?.Address;
        return address is null ? "" : Canonical(address);
    }

    /// <summary>Attaches links to queues after checking the entity exists and the connection may Send or Listen there.</summary>
    private sealed class EntityLinkProcessor(TestServiceBus bus) : ILinkProcessor
    {
        public void Process(AttachContext attachContext)
        {
            var attach = attachContext.Attach;
            var clientReceives = attach.Role;
            var path = Resolve(attach);
            var entity = path.EndsWith("/$management", StringComparison.Ordinal) ? null : bus.Find(path);
            if (entity is null)
            {
                attachContext.Complete(new Error(ErrorCode.NotFound) { Description = $"The messaging entity '{path}' could not be found." });
                return;
            }

            var connection = (ListenerConnection)attachContext.Link.Session.Connection;
            bus.Track(connection);
            var right = clientReceives ? ServiceBusRights.Listen : ServiceBusRights.Send;
            if (!bus.IsAuthorized(connection, entity.AuthorizationPath, right))
            {
                attachContext.Complete(new Error(UnauthorizedAccess) { Description = $"Unauthorized access. '{right}' claim(s) are required to perform this operation. Resource: '{path}'." });
                return;
            }

            if (!clientReceives && entity.IsDeadLetter)
            {
                attachContext.Complete(new Error(ErrorCode.NotAllowed) { Description = "Cannot send to a dead-letter queue." });
                return;
            }

            // Clients size their sends and batches from this (reference A.6, "Max sizes").
            attach.MaxMessageSize = MaxMessageSize;
            if (clientReceives)
            {
                attachContext.Complete(new ReceiverEndpoint(entity, attachContext.Link), 0);
            }
            else
            {
                attachContext.Complete(new SenderEndpoint(entity), 100);
            }
        }
    }
}
