using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// The two things deployment ships: the Azure Functions zip (functions/, linux-x64 self-contained) and the relay's
/// win-x64 single-file executable. <c>./dev.sh test</c> publishes them once, before any test runs, and names the
/// folder in <c>LDFLEET_PUBLISH_DIR</c>; run alone, this fixture publishes them itself into a temporary folder.
/// </summary>
public sealed class PublishedPackages : IAsyncLifetime
{
    private string? _ownDirectory;

    public string Directory { get; private set; } = "";

    public string FunctionsZip => Path.Combine(Directory, "ldfleet-functions.zip");

    public string RelayWindowsDirectory => Path.Combine(Directory, "relay-win-x64");

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("LDFLEET_PUBLISH_DIR") is { Length: > 0 } published)
        {
            Directory = published;
            return;
        }

        _ownDirectory = System.IO.Directory.CreateTempSubdirectory("ldfleet-publish-").FullName;
        Directory = _ownDirectory;

        // One after the other: the two publishes share the protocol project's build.
        await PublishAsync(["publish", "functions/LdFleet.Functions.csproj", "-c", RepoPaths.Configuration, "-nologo", "-o", Path.Combine(Directory, "functions"), $"-p:FunctionAppZip={FunctionsZip}"]);
        await PublishAsync(["publish", "relay-agent/LdFleet.Relay.csproj", "-nologo", "-p:PublishProfile=win-x64", $"-p:PublishDir={RelayWindowsDirectory}/"]);
    }

    public Task DisposeAsync()
    {
        if (_ownDirectory is not null)
        {
            System.IO.Directory.Delete(_ownDirectory, recursive: true);
        }

        return Task.CompletedTask;
    }

    private static async Task PublishAsync(string[] arguments)
    {
        var (exit, stdout, stderr) = await Cli.RunAsync("dotnet", arguments, TimeSpan.FromMinutes(8));
        Assert.True(exit == 0, $"dotnet {string.Join(' ', arguments)} failed ({exit}):\n{stdout}\n{stderr}");
    }
}

[CollectionDefinition(Name)]
public sealed class PublishedPackagesCollection : ICollectionFixture<PublishedPackages>
{
    public const string Name = "published packages";
}
