using System.ComponentModel.DataAnnotations;

namespace LdFleet.Functions.Api.Security;

/// <summary>
/// The local development issuer: tokens signed with a shared symmetric key, minted by
/// <c>LdFleet.Functions dev-token</c>. Only for a developer's machine and the tests; the app refuses to
/// start with it enabled outside the Development environment.
/// </summary>
internal sealed class DevIssuerOptions
{
    public const string SectionName = "Auth:DevIssuer";

    public bool Enabled { get; set; }

    /// <summary>Base64 of at least 32 random bytes (HMAC-SHA256 key).</summary>
    public string SigningKey { get; set; } = "";

    [Required(ErrorMessage = "Auth:DevIssuer:Issuer must not be empty.")]
    public string Issuer { get; set; } = "https://ldfleet.invalid/dev-issuer";

    [Required(ErrorMessage = "Auth:DevIssuer:Audience must not be empty.")]
    public string Audience { get; set; } = "api://ldfleet-dev";

    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00", ErrorMessage = "Auth:DevIssuer:TokenLifetime must be between 1 minute and 7 days.")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>The decoded key, or null when <see cref="SigningKey"/> is not base64 of at least 32 bytes.</summary>
    public byte[]? KeyBytes()
    {
        var buffer = new byte[SigningKey.Length];
        return Convert.TryFromBase64String(SigningKey, buffer, out var written) && written >= 32 ? buffer[..written] : null;
    }
}

/// <summary>The Entra ID app registration the API validates tokens for (Microsoft.Identity.Web's <c>AzureAd</c> section).</summary>
internal sealed class EntraOptions
{
    public const string SectionName = "AzureAd";

    public string Instance { get; set; } = "https://login.microsoftonline.com/";

    public string TenantId { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>Accepted audience; defaults to <c>api://{ClientId}</c> and the client id itself.</summary>
    public string Audience { get; set; } = "";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ClientId);
}
