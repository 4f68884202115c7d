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
        var tokens = SelectTokens(endpoint, options, tokenProvider, time, out var error) ?? (error is null ? null : throw new InvalidOperationException(error));
        var scope = new AmqpConnectionScope(endpoint, options, tokens, time, loggers.CreateLogger<AmqpConnectionScope>());
        return new AmqpMessageQueueFactory(scope, time, loggers.CreateLogger<AmqpMessageQueueFactory>());
    }

    /// <summary>Why the connection string cannot be used as given, or null when it can.</summary>
    public static string? Validate(string connectionString, AmqpTransportOptions options, bool hasTokenProvider)
    {
        if (!AmqpEndpoint.TryParse(connectionString, out var endpoint, out var error))
        {
            return error;
        }

        if (endpoint.Dialect == AmqpDialect.ServiceBus && endpoint.UserName is null && endpoint.SharedAccessSignature is null && !hasTokenProvider)
        {
            return "Transport:ConnectionString for Service Bus has no SharedAccessKeyName/SharedAccessKey or SharedAccessSignature, "
                + "and no IServiceBusTokenProvider is registered for Entra ID; add a SAS rule to the connection string or register a token provider.";
        }

        if (endpoint.Dialect == AmqpDialect.ServiceBus && options.Authentication == ServiceBusAuthentication.Cbs && endpoint.UserName is null && endpoint.SharedAccessSignature is null && !hasTokenProvider)
        {
            return "Transport:Amqp:Authentication is Cbs but there is neither a SAS key, a SharedAccessSignature nor an IServiceBusTokenProvider to make tokens from.";
        }

        return null;
    }

    internal static AmqpEndpoint Parse(string connectionString) =>
        AmqpEndpoint.TryParse(connectionString, out var endpoint, out var error) ? endpoint : throw new InvalidOperationException(error);

    private static IServiceBusTokenProvider? SelectTokens(AmqpEndpoint endpoint, AmqpTransportOptions options, IServiceBusTokenProvider? tokenProvider, TimeProvider time, out string? error)
    {
        error = null;
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

        if (tokenProvider is null)
        {
            error = "Service Bus without a SAS rule needs an IServiceBusTokenProvider (e.g. Entra ID through Azure.Identity).";
        }

        return tokenProvider;
    }
}
