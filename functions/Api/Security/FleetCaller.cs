using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;

namespace LdFleet.Functions.Api.Security;

/// <summary>Who is calling, as audit rows, idempotency keys and rate limits see it.</summary>
internal sealed record FleetCaller(string Id, string Name, IReadOnlyList<string> Roles)
{
    public static readonly FleetCaller Anonymous = new("anonymous", "anonymous", []);

    /// <summary>
    /// The caller's stable id: Entra's object id (<c>oid</c>, the same for a user or app across tokens) within
    /// its tenant, else the subject. Never the display name, which users can change.
    /// </summary>
    public static FleetCaller From(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return Anonymous;
        }

        var oid = Claim(user, "oid", "http://schemas.microsoft.com/identity/claims/objectidentifier");
        var sub = Claim(user, "sub", ClaimTypes.NameIdentifier);
        var tid = Claim(user, "tid", "http://schemas.microsoft.com/identity/claims/tenantid");
        var id = oid ?? sub ?? "unidentified";
        if (tid is not null)
        {
            id = tid + "/" + id;
        }

        var name = Claim(user, "preferred_username", "name", ClaimTypes.Name, "appid", "azp") ?? id;
        return new FleetCaller(id, name, RolesOf(user).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray());
    }

    public static IEnumerable<string> RolesOf(ClaimsPrincipal user) =>
        user.Claims.Where(c => c.Type is "roles" or "role" or ClaimTypes.Role).Select(c => c.Value);

    /// <summary>A fixed-length digest of the id, safe as a table key and not revealing the id in key listings.</summary>
    public string Key => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Id)))[..32];

    private static string? Claim(ClaimsPrincipal user, params string[] types)
    {
        foreach (var type in types)
        {
            var value = user.FindFirst(type)?.Value;
            if (!string.IsNullOrEmpty(value))
            {
                return value;
            }
        }

        return null;
    }
}
