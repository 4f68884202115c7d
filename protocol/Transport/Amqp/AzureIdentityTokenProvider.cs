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

    /// <summary>Whether a connection string is a Service Bus endpoint without any SAS credential.</summary>
    public static bool IsEndpointOnly(string? connectionString)
    {
        if (TransportKinds.Detect(connectionString) != TransportKind.ServiceBus)
        {
            return false;
        }

        var keys = connectionString!
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2)[0])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        return !keys.Contains("SharedAccessKeyName") && !keys.Contains("SharedAccessKey") && !keys.Contains("SharedAccessSignature");
    }

    /// <summary>The default provider for an endpoint-only connection string: DefaultAzureCredential, non-interactive.</summary>
    internal static AzureIdentityTokenProvider? DefaultFor(string connectionString) =>
        IsEndpointOnly(connectionString)
            ? new AzureIdentityTokenProvider(new DefaultAzureCredential(new DefaultAzureCredentialOptions { ExcludeInteractiveBrowserCredential = true }))
            : null;
}
