using Microsoft.Extensions.Logging;

namespace LdFleet.Protocol.Transport.Amqp;

/// <summary>Builds the AMQP transport from a connection string and picks how it authenticates.</summary>
internal static class AmqpTransport
{
    public static AmqpMessageQueueFactory CreateFactory(string connectionString, AmqpTransportOptions options, IServiceBusTokenProvider? tokenProvider, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var endpoint = Parse(connectionString);
        var tokens = SelectTokens(endpoint, options, tokenProvider, time);
        var scope = new AmqpConnectionScope(endpoint, options, tokens, time, loggers.CreateLogger<AmqpConnectionScope>());
        return new AmqpMessageQueueFactory(scope, time, loggers.CreateLogger<AmqpMessageQueueFactory>());
    }

    /// <summary>
    /// Why the connection string cannot be used as given, or null when it can. A Service Bus endpoint without a
    /// SAS credential is always usable: it authenticates with Entra ID (a registered token provider, else
    /// Azure.Identity's DefaultAzureCredential).
    /// </summary>
    public static string? Validate(string connectionString) =>
        AmqpEndpoint.TryParse(connectionString, out _, out var error) ? null : error;

    internal static AmqpEndpoint Parse(string connectionString) =>
        AmqpEndpoint.TryParse(connectionString, out var endpoint, out var error) ? endpoint : throw new InvalidOperationException(error);

    private static IServiceBusTokenProvider? SelectTokens(AmqpEndpoint endpoint, AmqpTransportOptions options, IServiceBusTokenProvider? tokenProvider, TimeProvider time)
    {
        if (endpoint.Dialect != AmqpDialect.ServiceBus)
        {
            return null;
        }

        if (endpoint.SharedAccessSignature is { } signature)
        {
            return new StaticSignatureTokenProvider(signature);
        }

        if (endpoint.UserName is { } keyName)
        {
            // A SAS rule: SASL PLAIN unless CBS is asked for (reference A.2).
            return options.Authentication == ServiceBusAuthentication.Cbs
                ? new SharedAccessKeyTokenProvider(keyName, endpoint.Password!, options.SasTokenLifetime, time)
                : null;
        }

        // No SAS credential: Entra ID, through a registered provider or else Azure.Identity (reference A.2).
        return tokenProvider ?? AzureIdentityTokenProvider.CreateDefault();
    }
}
