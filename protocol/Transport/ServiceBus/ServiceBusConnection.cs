using System.Diagnostics.CodeAnalysis;
using Azure.Identity;
using Azure.Messaging.ServiceBus;

namespace LdFleet.Protocol.Transport.ServiceBus;

/// <summary>
/// A Service Bus connection string as <c>Transport:ConnectionString</c> gives it: with a SAS rule
/// (<c>SharedAccessKeyName</c>/<c>SharedAccessKey</c>, or a ready <c>SharedAccessSignature</c>), or the namespace
/// endpoint alone for Entra ID. <c>TransportType=AmqpWebSockets</c> selects port 443; <c>UseDevelopmentEmulator=true</c>
/// plain AMQP on the endpoint's port; <c>EntityPath</c> limits the client to that queue (a queue-level SAS rule).
/// </summary>
internal sealed record ServiceBusConnection(string FullyQualifiedNamespace, string? SasConnectionString, string? EntityPath, bool WebSockets)
{
    public bool UsesEntraId => SasConnectionString is null;

    public static bool TryParse(string? connectionString, [NotNullWhen(true)] out ServiceBusConnection? connection, [NotNullWhen(false)] out string? error)
    {
        connection = null;
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var kept = new List<string>();
        foreach (var part in (connectionString ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2);
            if (pair.Length == 2)
            {
                values[pair[0].Trim()] = pair[1].Trim();
                if (!pair[0].Trim().Equals("TransportType", StringComparison.OrdinalIgnoreCase))
                {
                    kept.Add(part);
                }
            }
        }

        if (!values.TryGetValue("Endpoint", out var endpoint) || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || !uri.Scheme.Equals("sb", StringComparison.OrdinalIgnoreCase))
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
            webSockets = transportType.Equals("AmqpWebSockets", StringComparison.OrdinalIgnoreCase);
            if (!webSockets && !transportType.Equals("Amqp", StringComparison.OrdinalIgnoreCase))
            {
                error = $"Transport:ConnectionString has TransportType={transportType}; supported are Amqp and AmqpWebSockets.";
                return false;
            }
        }

        var hasSas = !string.IsNullOrEmpty(key) || !string.IsNullOrEmpty(signature);
        var emulator = values.TryGetValue("UseDevelopmentEmulator", out var emulatorText) && bool.TryParse(emulatorText, out var isEmulator) && isEmulator;
        if (emulator && !hasSas)
        {
            error = "Transport:ConnectionString with UseDevelopmentEmulator=true needs a SAS rule (SharedAccessKeyName and SharedAccessKey): Entra ID needs TLS to a real namespace.";
            return false;
        }

        values.TryGetValue("EntityPath", out var entityPath);
        connection = new ServiceBusConnection(uri.Host, hasSas ? string.Join(';', kept) : null, string.IsNullOrEmpty(entityPath) ? null : entityPath, webSockets);
        error = null;
        return true;
    }

    /// <summary>The SDK client, with the retry policy of <paramref name="options"/>.</summary>
    public ServiceBusClient CreateClient(ServiceBusTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clientOptions = new ServiceBusClientOptions
        {
            TransportType = WebSockets ? ServiceBusTransportType.AmqpWebSockets : ServiceBusTransportType.AmqpTcp,
            RetryOptions = new ServiceBusRetryOptions
            {
                Mode = ServiceBusRetryMode.Exponential,
                MaxRetries = options.MaxRetries,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                TryTimeout = options.TryTimeout,
            },
        };
        return SasConnectionString is { } sas
            ? new ServiceBusClient(sas, clientOptions)
            : new ServiceBusClient(FullyQualifiedNamespace, new DefaultAzureCredential(new DefaultAzureCredentialOptions { ExcludeInteractiveBrowserCredential = true }), clientOptions);
    }
}
