using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LdFleet.Functions.Api.Security;

/// <summary>Mints tokens for the development issuer, shaped like Entra ID access tokens (oid, tid, roles).</summary>
internal static class DevTokenIssuer
{
    public const string TenantId = "ldfleet-dev";

    public static string Mint(DevIssuerOptions options, string name, IEnumerable<string> roles, DateTimeOffset now, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = options.KeyBytes() ?? throw new InvalidOperationException("Auth:DevIssuer:SigningKey is not base64 of at least 32 bytes.");
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime.AddSeconds(-5),
            Expires = (now + (lifetime ?? options.TokenLifetime)).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                // A stable object id per name, so audit rows and idempotency keys follow the same "user".
                ["oid"] = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(name))[..16]).ToString(),
                ["tid"] = TenantId,
                ["sub"] = name,
                ["name"] = name,
                ["preferred_username"] = name,
                ["roles"] = roles.ToArray(),
            },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
