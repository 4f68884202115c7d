using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using LdFleet.Testing;

namespace LdFleet.Cli.Tests;

/// <summary>
/// One local fleet for every CLI test (starting it takes 10-20 s), with the development issuer's key written
/// where <c>ldfleet login --dev --key-file</c> can read it, as <c>./dev.sh</c> keeps it.
/// </summary>
public sealed class CliFleet : FleetFixture
{
    public string KeyFile { get; } = Path.Combine(Path.GetTempPath(), $"ldfleet-cli-key-{Guid.NewGuid():N}");

    private readonly ConcurrentDictionary<string, Lazy<Task<CliRunner>>> _loggedIn = new(StringComparer.Ordinal);

    public string ApiUrl => Api.BaseAddress!.ToString().TrimEnd('/');

    /// <summary>
    /// A config directory with profile "local" logged in with <paramref name="role"/>, made once per role by the
    /// real <c>config set</c> and <c>login --dev</c>; tests copy it rather than paying two more CLI starts each.
    /// </summary>
    public async Task<string> LoggedInConfigAsync(string role)
    {
        var runner = await _loggedIn.GetOrAdd(role, r => new Lazy<Task<CliRunner>>(() => LogInAsync(r))).Value;
        return Path.GetDirectoryName(runner.ConfigFile)!;
    }

    private async Task<CliRunner> LogInAsync(string role)
    {
        var runner = new CliRunner();
        var set = await runner.RunAsync("config", "set", "local", "--url", ApiUrl, "--auth", "dev");
        var login = await runner.RunAsync("login", "--dev", "--key-file", KeyFile, "--role", role, "--name", "cli-tests");
        return set.ExitCode == 0 && login.ExitCode == 0 ? runner : throw new InvalidOperationException($"Could not log in as {role}:\n{set}\n{login}");
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await File.WriteAllTextAsync(KeyFile, DevSigningKey);

        // Listings and batch selectors read the inventory the relay reports: wait for all eight emulators.
        await Poll.UntilAsync(
            async () => (await Api.GetFromJsonAsync<JsonElement>(new Uri($"/api/emulators?siteId={SiteId}", UriKind.Relative))).GetArrayLength(),
            count => count == 8,
            TimeSpan.FromSeconds(60),
            "the relay's first inventory report\n" + Diagnostics);
    }

    public override async Task DisposeAsync()
    {
        File.Delete(KeyFile);
        foreach (var runner in _loggedIn.Values.Where(l => l.IsValueCreated && l.Value.IsCompletedSuccessfully))
        {
            runner.Value.Result.Dispose();
        }

        await base.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class CliFleetCollection : ICollectionFixture<CliFleet>
{
    public const string Name = "cli-fleet";
}
