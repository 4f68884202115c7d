using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace LdFleet.Protocol.Transport.Amqp;

/// <summary>The broker family behind an AMQP 1.0 connection; it decides addresses and settlement outcomes.</summary>
internal enum AmqpDialect
{
    /// <summary>Azure Service Bus (reference A).</summary>
    ServiceBus,

    /// <summary>RabbitMQ 3.10 with the rabbitmq_amqp1_0 plugin (reference B.1).</summary>
    RabbitMq3,
}

/// <summary>How the client proves who it is.</summary>
internal enum AmqpCredentialKind
{
    /// <summary>SASL PLAIN with a user and password (RabbitMQ) or a SAS rule name and key (Service Bus, reference A.2).</summary>
    SaslPlain,

    /// <summary>SASL ANONYMOUS, then a CBS put-token per entity (reference A.2).</summary>
    Cbs,

    /// <summary>No SASL at all (a broker that lets anyone in).</summary>
    None,
}

/// <summary>What a transport connection string says about where and how to connect.</summary>
internal sealed record AmqpEndpoint
{
    public const string WebSocketPath = "/$servicebus/websocket/";

    public required AmqpDialect Dialect { get; init; }

    /// <summary><c>amqp</c>, <c>amqps</c>, <c>ws</c> or <c>wss</c>.</summary>
    public required string Scheme { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>The path of the WebSocket endpoint; "/" otherwise.</summary>
    public string Path { get; init; } = "/";

    /// <summary>SASL PLAIN user: a RabbitMQ user or a Service Bus SAS rule name.</summary>
    public string? UserName { get; init; }

    /// <summary>SASL PLAIN password: a RabbitMQ password or a Service Bus SAS key.</summary>
    public string? Password { get; init; }

    /// <summary>A ready-made Service Bus SAS token (connection string key <c>SharedAccessSignature</c>).</summary>
    public string? SharedAccessSignature { get; init; }

    public bool UseWebSockets => Scheme is "ws" or "wss";

    /// <summary>The base URI CBS audiences are built from (reference A.2, "Audience values in practice").</summary>
    public Uri ServiceUri => new($"sb://{Host}/");

    public override string ToString() => $"{Scheme}://{Host}:{Port.ToString(CultureInfo.InvariantCulture)}{(UseWebSockets ? Path : "")} ({Dialect})";

    /// <summary>
    /// Parses <c>amqp[s]://user:pass@host:port</c> (RabbitMQ dialect) or a Service Bus connection string
    /// <c>Endpoint=sb://ns/;SharedAccessKeyName=..;SharedAccessKey=..</c> with the optional keys
    /// <c>SharedAccessSignature</c>, <c>TransportType=AmqpWebSockets</c>, <c>UseDevelopmentEmulator=true</c>
    /// (plain, non-TLS AMQP on the endpoint's port, as the Service Bus SDK does for the emulator) and
    /// <c>EntityPath</c> (ignored: queues are opened by name).
    /// </summary>
    public static bool TryParse(string? connectionString, [NotNullWhen(true)] out AmqpEndpoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        switch (TransportKinds.Detect(connectionString))
        {
            case TransportKind.Amqp:
                return TryParseUri(connectionString!.Trim(), out endpoint, out error);
            case TransportKind.ServiceBus:
                return TryParseServiceBus(connectionString!, out endpoint, out error);
            default:
                error = "Transport:ConnectionString is neither an amqp:// URI nor a Service Bus connection string (Endpoint=sb://...).";
                return false;
        }
    }

    private static bool TryParseUri(string text, out AmqpEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            error = "Transport:ConnectionString looks like an AMQP URI but is not one; expected amqp://user:password@host:port (URL-encode special characters).";
            return false;
        }

        var secure = uri.Scheme.Equals("amqps", StringComparison.OrdinalIgnoreCase);
        string? user = null;
        string? password = null;
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }

        endpoint = new AmqpEndpoint
        {
            Dialect = AmqpDialect.RabbitMq3,
            Scheme = secure ? "amqps" : "amqp",
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? (secure ? 5671 : 5672) : uri.Port,
            UserName = user,
            Password = password,
        };
        error = null;
        return true;
    }

    private static bool TryParseServiceBus(string text, out AmqpEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2);
            if (pair.Length == 2)
            {
                values[pair[0].Trim()] = pair[1].Trim();
            }
        }

        if (!values.TryGetValue("Endpoint", out var endpointText) || !Uri.TryCreate(endpointText, UriKind.Absolute, out var uri) || !uri.Scheme.Equals("sb", StringComparison.OrdinalIgnoreCase))
        {
            error = "Transport:ConnectionString names Service Bus but its Endpoint is not an sb:// URI (expected Endpoint=sb://<namespace>.servicebus.windows.net/).";
            return false;
        }

        values.TryGetValue("SharedAccessKeyName", out var keyName);
        values.TryGetValue("SharedAccessKey", out var key);
        values.TryGetValue("SharedAccessSignature", out var signature);
        if (string.IsNullOrEmpty(keyName) != string.IsNullOrEmpty(key))
        {
            error = "Transport:ConnectionString for Service Bus must give SharedAccessKeyName and SharedAccessKey together.";
            return false;
        }

        if (!string.IsNullOrEmpty(key) && !string.IsNullOrEmpty(signature))
        {
            error = "Transport:ConnectionString for Service Bus gives both SharedAccessKey and SharedAccessSignature; keep one.";
            return false;
        }

        var webSockets = false;
        if (values.TryGetValue("TransportType", out var transportType))
        {
            if (transportType.Equals("AmqpWebSockets", StringComparison.OrdinalIgnoreCase))
            {
                webSockets = true;
            }
            else if (!transportType.Equals("Amqp", StringComparison.OrdinalIgnoreCase))
            {
                error = $"Transport:ConnectionString has TransportType={transportType}; supported are Amqp and AmqpWebSockets.";
                return false;
            }
        }

        var emulator = values.TryGetValue("UseDevelopmentEmulator", out var emulatorText) && bool.TryParse(emulatorText, out var isEmulator) && isEmulator;

        // Service Bus always wants TLS: amqps on 5671, or WebSockets on 443 (reference A.1, "Ports and TLS").
        // The development emulator speaks plain AMQP on the port the endpoint names.
        var scheme = (webSockets, emulator) switch
        {
            (true, true) => "ws",
            (true, false) => "wss",
            (false, true) => "amqp",
            (false, false) => "amqps",
        };
        var port = !uri.IsDefaultPort && uri.Port > 0 ? uri.Port : scheme switch
        {
            "ws" => 80,
            "wss" => 443,
            "amqp" => 5672,
            _ => 5671,
        };

        endpoint = new AmqpEndpoint
        {
            Dialect = AmqpDialect.ServiceBus,
            Scheme = scheme,
            Host = uri.Host,
            Port = port,
            Path = webSockets ? WebSocketPath : "/",
            UserName = string.IsNullOrEmpty(keyName) ? null : keyName,
            Password = string.IsNullOrEmpty(key) ? null : key,
            SharedAccessSignature = string.IsNullOrEmpty(signature) ? null : signature,
        };
        error = null;
        return true;
    }
}
