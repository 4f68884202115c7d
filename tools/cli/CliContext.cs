using System.CommandLine;
using LdFleet.Cli.Api;
using LdFleet.Cli.Auth;
using LdFleet.Cli.Config;
using LdFleet.Cli.Output;

namespace LdFleet.Cli;

/// <summary>Options every command takes.</summary>
internal static class GlobalOptions
{
    public const string ProfileVariable = "LDFLEET_PROFILE";
    public const string ApiUrlVariable = "LDFLEET_API_URL";
    public const string TokenVariable = "LDFLEET_TOKEN";

    /// <summary>Where the CLI looks when no profile exists: the local fleet of <c>./dev.sh up</c>.</summary>
    public const string LocalApiUrl = "http://127.0.0.1:5080";

    public static readonly Option<string?> Profile = new("--profile")
    {
        Description = $"Config profile to use (default: ${ProfileVariable}, else the current profile).",
        Recursive = true,
    };

    public static readonly Option<string?> ApiUrl = new("--api-url")
    {
        Description = $"Overrides the profile's API URL (also ${ApiUrlVariable}).",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the API's JSON instead of tables (for scripts).",
        Recursive = true,
    };
}

/// <summary>What one invocation works with: config, the chosen profile, output, and (lazily) the API client.</summary>
internal sealed class CliContext : IDisposable
{
    private FleetClient? _client;

    private CliContext(ParseResult parse, ConfigStore store, CliConfig config, string profileName, Profile? profile)
    {
        Parse = parse;
        Store = store;
        Config = config;
        ProfileName = profileName;
        SavedProfile = profile;
        Json = parse.GetValue(GlobalOptions.Json);
        Output = new ConsoleOutput(Json);
    }

    public ParseResult Parse { get; }

    public ConfigStore Store { get; }

    public CliConfig Config { get; }

    /// <summary>The chosen profile's name ("default" when there is no config).</summary>
    public string ProfileName { get; }

    /// <summary>The profile as saved, or null when it is not in the config (implicit local profile).</summary>
    public Profile? SavedProfile { get; }

    public Profile Profile => SavedProfile ?? new Profile { ApiUrl = Environment.GetEnvironmentVariable(GlobalOptions.ApiUrlVariable) is { Length: > 0 } url ? url : GlobalOptions.LocalApiUrl };

    public bool Json { get; }

    public ConsoleOutput Output { get; }

    public static CliContext Create(ParseResult parse)
    {
        var store = ConfigStore.FromEnvironment();
        var config = store.Load();
        var name = parse.GetValue(GlobalOptions.Profile)
            ?? (Environment.GetEnvironmentVariable(GlobalOptions.ProfileVariable) is { Length: > 0 } fromEnv ? fromEnv : null)
            ?? config.CurrentProfile;
        Profile? profile = null;
        if (name is not null && !config.Profiles.TryGetValue(name, out profile))
        {
            throw new CliException(ExitCodes.Usage, $"There is no profile '{name}' in {store.ConfigFile}.", [config.Profiles.Count == 0 ? "Create one with: ldfleet config set <name> --api-url <url>" : $"Profiles: {string.Join(", ", config.Profiles.Keys.Order(StringComparer.Ordinal))}"]);
        }

        return new CliContext(parse, store, config, name ?? "default", profile);
    }

    /// <summary>The API URL in effect: --api-url, else $LDFLEET_API_URL, else the profile's.</summary>
    public Uri ApiUrl
    {
        get
        {
            var text = Parse.GetValue(GlobalOptions.ApiUrl)
                ?? (Environment.GetEnvironmentVariable(GlobalOptions.ApiUrlVariable) is { Length: > 0 } env ? env : null)
                ?? Profile.ApiUrl;
            return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new CliException(ExitCodes.Usage, $"'{text}' is not an http(s) URL.");
        }
    }

    public FleetClient Client => _client ??= new FleetClient(ApiUrl, AcquireTokenAsync);

    /// <summary>The bearer token: $LDFLEET_TOKEN, else what <c>ldfleet login</c> stored for the profile.</summary>
    public async Task<string> AcquireTokenAsync(CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(GlobalOptions.TokenVariable) is { Length: > 0 } token)
        {
            return token;
        }

        if (Profile.Auth == AuthMode.Entra)
        {
            return await new EntraAuth(ProfileName, Profile, Store).AcquireSilentAsync(cancellationToken);
        }

        var stored = new TokenStore(Store).Get(ProfileName)
            ?? throw new CliException(ExitCodes.Auth, $"Not logged in (profile '{ProfileName}').", [Profile.Auth == AuthMode.Dev ? "Run: ldfleet login --dev   (local fleet), or set LDFLEET_TOKEN." : "Run: ldfleet login --token <token>, or set LDFLEET_TOKEN."]);
        if (stored.ExpiresAt is { } expires && expires <= DateTimeOffset.UtcNow)
        {
            throw new CliException(ExitCodes.Auth, $"The token of profile '{ProfileName}' expired at {expires:u}.", ["Log in again: ldfleet login" + (Profile.Auth == AuthMode.Dev ? " --dev" : " --token <token>")]);
        }

        return stored.Token;
    }

    public void Dispose() => _client?.Dispose();
}
