using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace LdFleet.Protocol.Transport.Amqp;

/// <summary>A token for a Service Bus CBS put-token.</summary>
/// <param name="Token">The token text.</param>
/// <param name="TokenType"><c>servicebus.windows.net:sastoken</c> for SAS, <c>jwt</c> for Entra ID (reference A.2, "Token types").</param>
/// <param name="ExpiresAt">When it stops being valid; the transport refreshes it before then.</param>
public sealed record ServiceBusAccessToken(string Token, string TokenType, DateTimeOffset ExpiresAt)
{
    public const string SasTokenType = "servicebus.windows.net:sastoken";
    public const string JwtTokenType = "jwt";
}

/// <summary>
/// The seam for CBS tokens. Register one in DI to connect with Entra ID, e.g. with Azure.Identity:
/// <c>credential.GetTokenAsync(new TokenRequestContext(["https://servicebus.azure.net/.default"]))</c> →
/// <c>new ServiceBusAccessToken(token.Token, ServiceBusAccessToken.JwtTokenType, token.ExpiresOn)</c>
/// (reference A.2, "Entra ID"). The connection string then names only the endpoint.
/// </summary>
public interface IServiceBusTokenProvider
{
    /// <summary>A token valid for <paramref name="audience"/> (e.g. <c>sb://ns.servicebus.windows.net/queue</c>).</summary>
    ValueTask<ServiceBusAccessToken> GetTokenAsync(string audience, CancellationToken cancellationToken);
}

/// <summary>Signs SAS tokens from a rule name and key (reference A.2, "SAS token format and signing").</summary>
internal sealed class SharedAccessKeyTokenProvider : IServiceBusTokenProvider
{
    private readonly string _keyName;
    private readonly string _key;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    public SharedAccessKeyTokenProvider(string keyName, string key, TimeSpan lifetime, TimeProvider time)
    {
        _keyName = keyName;
        _key = key;
        _lifetime = lifetime;
        _time = time;
    }

    public ValueTask<ServiceBusAccessToken> GetTokenAsync(string audience, CancellationToken cancellationToken)
    {
        var expiresAt = _time.GetUtcNow() + _lifetime;
        return ValueTask.FromResult(new ServiceBusAccessToken(Sign(audience, _keyName, _key, expiresAt), ServiceBusAccessToken.SasTokenType, expiresAt));
    }

    public static string Sign(string resource, string keyName, string key, DateTimeOffset expiresAt)
    {
        var encodedResource = WebUtility.UrlEncode(resource);
        var expiry = expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(encodedResource + "\n" + expiry)));
        return $"SharedAccessSignature sr={encodedResource}&sig={WebUtility.UrlEncode(signature)}&se={expiry}&skn={WebUtility.UrlEncode(keyName)}";
    }
}

/// <summary>
/// A ready-made SAS token from the connection string: it cannot be refreshed, so it is good until its
/// <c>se</c> and the connection fails after that.
/// </summary>
internal sealed class StaticSignatureTokenProvider : IServiceBusTokenProvider
{
    private readonly ServiceBusAccessToken _token;

    public StaticSignatureTokenProvider(string signature)
    {
        var expiresAt = DateTimeOffset.MaxValue;
        foreach (var part in signature.Replace("SharedAccessSignature ", "", StringComparison.Ordinal).Split('&'))
        {
            if (part.StartsWith("se=", StringComparison.Ordinal) && long.TryParse(part.AsSpan(3), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
            {
                expiresAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
        }

        _token = new ServiceBusAccessToken(signature, ServiceBusAccessToken.SasTokenType, expiresAt);
    }

    public ValueTask<ServiceBusAccessToken> GetTokenAsync(string audience, CancellationToken cancellationToken) => ValueTask.FromResult(_token);
}
