using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LdFleet.Cli.Auth;

/// <summary>
/// Mints tokens of the cloud app's development issuer, exactly as its <c>dev-token</c> command does
/// (functions/Api/Security/DevTokenIssuer.cs): HS256 over the shared key, Entra-shaped claims.
/// </summary>
internal static class DevToken
{
    public const string DefaultIssuer = "https://ldfleet.invalid/dev-issuer";
    public const string DefaultAudience = "api://ldfleet-dev";
    public const string TenantId = "ldfleet-dev";
    public const string KeyFileVariable = "LDFLEET_DEV_KEY_FILE";

    public static readonly string[] Roles = ["Fleet.Read", "Fleet.Operate", "Fleet.Admin"];

    public static string Mint(byte[] key, string name, IEnumerable<string> roles, DateTimeOffset now, TimeSpan lifetime, string issuer = DefaultIssuer, string audience = DefaultAudience)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime.AddSeconds(-5),
            Expires = (now + lifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                // Same derivation as the app: a stable object id per name, so audit rows follow the same "user".
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

    /// <summary>Reads the base64 key file that <c>./dev.sh</c> keeps; 32 bytes at least, as the app demands.</summary>
    public static byte[] ReadKey(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.Usage, $"No development issuer key at {path}.", ["`./dev.sh up` creates .fleet/dev-issuer.key; pass --key-file or set LDFLEET_DEV_KEY_FILE."]);
        }

        var text = File.ReadAllText(path).Trim();
        var buffer = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, buffer, out var written) || written < 32)
        {
            throw new CliException(ExitCodes.Usage, $"{path} is not a development issuer key (base64 of at least 32 bytes).");
        }

        return buffer[..written];
    }

    /// <summary>The key file to use when none is given: the variable, else <c>.fleet/dev-issuer.key</c> in this or a parent directory.</summary>
    public static string DefaultKeyFile()
    {
        if (Environment.GetEnvironmentVariable(KeyFileVariable) is { Length: > 0 } file)
        {
            return file;
        }

        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".fleet", "dev-issuer.key");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine(Environment.CurrentDirectory, ".fleet", "dev-issuer.key");
    }
}
