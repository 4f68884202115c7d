using System.Text.Json.Serialization;

namespace LdFleet.Cli.Config;

/// <summary>How a profile authenticates.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AuthMode>))]
internal enum AuthMode
{
    /// <summary>Tokens of the cloud app's development issuer (local fleet), minted by <c>ldfleet login --dev</c>.</summary>
    Dev,

    /// <summary>A bearer token given as is (<c>ldfleet login --token</c>).</summary>
    Token,

    /// <summary>Entra ID: device-code flow via MSAL, silent refresh from the token cache.</summary>
    Entra,
}

/// <summary>One deployment the CLI can talk to.</summary>
internal sealed record Profile
{
    public required string ApiUrl { get; init; }

    public AuthMode Auth { get; init; } = AuthMode.Dev;

    /// <summary>Entra: the directory (tenant) id or domain.</summary>
    public string? TenantId { get; init; }

    /// <summary>Entra: the CLI's public client application id.</summary>
    public string? ClientId { get; init; }

    /// <summary>Entra: the API scope, e.g. <c>api://ldfleet/.default</c>.</summary>
    public string? Scope { get; init; }

    /// <summary>Entra: authority host for sovereign clouds; default https://login.microsoftonline.com.</summary>
    public string? Instance { get; init; }
}

/// <summary>The config file: named profiles and which one is current.</summary>
internal sealed record CliConfig
{
    public string? CurrentProfile { get; init; }

    public Dictionary<string, Profile> Profiles { get; init; } = new(StringComparer.Ordinal);
}
