using System.Text;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Tests.Api;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LdFleet.Functions.Tests.Security;

/// <summary>
/// Bearer tokens the app must refuse, each shaped like a real one of the development issuer (same issuer, audience
/// and claims as <see cref="FleetApp.Token"/>) with exactly one thing wrong, so a refusal is for that one thing.
/// </summary>
internal static class TestTokens
{
    private static readonly DevIssuerOptions Issuer = new() { Enabled = true, SigningKey = ApiFixture.SigningKey };

    /// <summary>Signed with another key.</summary>
    public static string WrongKey(params string[] roles) => Create(new byte[32], Issuer.Audience, DateTime.UtcNow.AddHours(1), roles);

    /// <summary>Right key and claims, but for another API.</summary>
    public static string WrongAudience(params string[] roles) => Create(Issuer.KeyBytes()!, "api://someone-else", DateTime.UtcNow.AddHours(1), roles);

    /// <summary>Right key, expired two hours ago (well past the validator's clock skew).</summary>
    public static string Expired(params string[] roles) => DevTokenIssuer.Mint(Issuer, "late", roles, DateTimeOffset.UtcNow.AddHours(-2), TimeSpan.FromMinutes(5));

    /// <summary>The classic forgery: <c>alg: none</c> and no signature, claiming Admin.</summary>
    public static string AlgNone(params string[] roles)
    {
        var header = Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var valid = FleetApp.Token(null, "forger").Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(valid[1]));
        return $"{header}.{Base64Url(WithRoles(payload, roles))}.";
    }

    /// <summary>A validly signed token whose payload was then changed to claim <paramref name="roles"/>; the signature no longer matches.</summary>
    public static string Tampered(params string[] roles)
    {
        var valid = FleetApp.Token(FleetRoles.Read, "tamperer").Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(valid[1]));
        return $"{valid[0]}.{Base64Url(WithRoles(payload, roles))}.{valid[2]}";
    }

    private static string Create(byte[] key, string audience, DateTime expires, string[] roles) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer.Issuer,
        Audience = audience,
        Expires = expires,
        Claims = new Dictionary<string, object> { ["oid"] = Guid.NewGuid().ToString(), ["name"] = "forger", ["roles"] = roles },
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
    });

    private static string WithRoles(string payload, string[] roles)
    {
        var claims = System.Text.Json.Nodes.JsonNode.Parse(payload)!.AsObject();
        claims["roles"] = new System.Text.Json.Nodes.JsonArray([.. roles.Select(r => (System.Text.Json.Nodes.JsonNode?)r)]);
        return claims.ToJsonString();
    }

    private static string Base64Url(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
}
