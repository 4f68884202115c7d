using System.IO.Compression;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// The two things deployment ships: the Azure Functions app (the publish folder of functions/, zipped the way azd
/// zips it for <c>language: dotnet</c>, <c>host: function</c>) and the relay's win-x64 single-file executable.
/// <c>./dev.sh test</c> publishes them once, before any test runs, and names the folder in <c>LDFLEET_PUBLISH_DIR</c>;
/// run alone, this fixture publishes them itself into a temporary folder.
/// </summary>
public sealed class PublishedPackages : IAsyncLifetime
{
    private string? _ownDirectory;
    private string? _zipDirectory;

    public string Directory { get; private set; } = "";

    public string FunctionsDirectory => Path.Combine(Directory, "functions");

    /// <summary>The zip azd deploys: every file of the publish folder, paths relative to it.</summary>
    public string FunctionsZip { get; private set; } = "";

    public string RelayWindowsDirectory => Path.Combine(Directory, "relay-win-x64");

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("LDFLEET_PUBLISH_DIR") is { Length: > 0 } published)
        {
            Directory = published;
        }
        else
        {
            _ownDirectory = System.IO.Directory.CreateTempSubdirectory("ldfleet-publish-").FullName;
            Directory = _ownDirectory;

            // One after the other: the two publishes share the protocol project's build.
            await PublishAsync(["publish", "functions/LdFleet.Functions.csproj", "-c", RepoPaths.Configuration, "-nologo", "-o", FunctionsDirectory]);
            await PublishAsync(["publish", "relay-agent/LdFleet.Relay.csproj", "-nologo", "-p:PublishProfile=win-x64", $"-p:PublishDir={RelayWindowsDirectory}/"]);
        }

        _zipDirectory = System.IO.Directory.CreateTempSubdirectory("ldfleet-functions-zip-").FullName;
        FunctionsZip = Path.Combine(_zipDirectory, "functions.zip");
        ZipFile.CreateFromDirectory(FunctionsDirectory, FunctionsZip, CompressionLevel.Fastest, includeBaseDirectory: false);
    }

    public Task DisposeAsync()
    {
        foreach (var dir in new[] { _ownDirectory, _zipDirectory })
        {
            if (dir is not null)
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
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
