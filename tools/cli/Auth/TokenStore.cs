using System.Text;
using System.Text.Json;
using LdFleet.Cli.Config;

namespace LdFleet.Cli.Auth;

/// <summary>A stored bearer token (dev or given) of one profile.</summary>
internal sealed record StoredToken(string Token, DateTimeOffset? ExpiresAt);

/// <summary>Bearer tokens per profile in <c>tokens.json</c> next to the config, readable by the user only.</summary>
internal sealed class TokenStore
{
    private readonly ConfigStore _store;

    public TokenStore(ConfigStore store) => _store = store;

    public StoredToken? Get(string profile) => Load().GetValueOrDefault(profile);

    public void Set(string profile, string token)
    {
        var tokens = Load();
        tokens[profile] = new StoredToken(token, Jwt.ExpiresAt(token));
        SecureFile.WriteAllText(_store.TokensFile, JsonSerializer.Serialize(tokens, ConfigStore.Json));
    }

    public bool Remove(string profile)
    {
        var tokens = Load();
        if (!tokens.Remove(profile))
        {
            return false;
        }

        SecureFile.WriteAllText(_store.TokensFile, JsonSerializer.Serialize(tokens, ConfigStore.Json));
        return true;
    }

    private Dictionary<string, StoredToken> Load()
    {
        if (!File.Exists(_store.TokensFile))
        {
            return new(StringComparer.Ordinal);
        }

        try
        {
            return new(JsonSerializer.Deserialize<Dictionary<string, StoredToken>>(File.ReadAllText(_store.TokensFile), ConfigStore.Json) ?? [], StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            // A damaged token file only costs a new login.
            return new(StringComparer.Ordinal);
        }
    }
}

/// <summary>Reads a JWT's claims without validating it: only to show who is logged in and when it expires.</summary>
internal static class Jwt
{
    public static JsonElement? Payload(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var json = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
            return JsonDocument.Parse(json).RootElement.Clone();
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    public static DateTimeOffset? ExpiresAt(string token) =>
        Payload(token) is { } payload && payload.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
}
