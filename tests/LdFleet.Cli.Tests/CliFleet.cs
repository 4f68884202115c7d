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

    public string ApiUrl => Api.BaseAddress!.ToString().TrimEnd('/');

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
        await base.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class CliFleetCollection : ICollectionFixture<CliFleet>
{
    public const string Name = "cli-fleet";
}
