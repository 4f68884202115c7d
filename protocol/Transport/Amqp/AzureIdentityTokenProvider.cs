using Azure.Core;
using Azure.Identity;

namespace LdFleet.Protocol.Transport.Amqp;

/// <summary>
/// Entra ID tokens for Service Bus CBS from an Azure.Identity credential (managed identity in Azure, developer
/// sign-in locally). Used when the connection string names only the endpoint and no other
/// <see cref="IServiceBusTokenProvider"/> is registered; the transport refreshes tokens before they expire.
/// </summary>
public sealed class AzureIdentityTokenProvider : IServiceBusTokenProvider
{
    private static readonly string[] Scopes = ["https://servicebus.azure.net/.default"];

    private readonly TokenCredential _credential;

    public AzureIdentityTokenProvider(TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        _credential = credential;
    }

    public async ValueTask<ServiceBusAccessToken> GetTokenAsync(string audience, CancellationToken cancellationToken)
    {
        // One Entra token covers every entity of the namespace, so the audience does not change the request.
        var token = await _credential.GetTokenAsync(new TokenRequestContext(Scopes), cancellationToken);
        return new ServiceBusAccessToken(token.Token, ServiceBusAccessToken.JwtTokenType, token.ExpiresOn);
    }

    /// <summary>Whether a connection string is a Service Bus endpoint without any SAS credential (so Entra ID is used).</summary>
    public static bool IsEndpointOnly(string? connectionString) =>
        AmqpEndpoint.TryParse(connectionString, out var endpoint, out _)
        && endpoint.Dialect == AmqpDialect.ServiceBus
        && endpoint.UserName is null
        && endpoint.SharedAccessSignature is null;

    /// <summary>The default provider: DefaultAzureCredential, non-interactive (managed identity in Azure).</summary>
    internal static AzureIdentityTokenProvider CreateDefault() =>
        new(new DefaultAzureCredential(new DefaultAzureCredentialOptions { ExcludeInteractiveBrowserCredential = true }));
}
