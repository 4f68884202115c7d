using LdFleet.Testing;

namespace LdFleet.FunctionsHost.Tests;

/// <summary>
/// The cloud app as deployment ships it: the publish folder of functions/ (what azd zips and the Functions host
/// starts). <c>./dev.sh test</c> publishes it once before the tests and names the folder in <c>LDFLEET_PUBLISH_DIR</c>;
/// run alone, this publishes it into a temporary folder.
/// </summary>
internal static class PublishedApp
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _directory;

    public static async Task<string> DirectoryAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_directory is not null)
            {
                return _directory;
            }

            if (Environment.GetEnvironmentVariable("LDFLEET_PUBLISH_DIR") is { Length: > 0 } published)
            {
                _directory = Path.Combine(published, "functions");
            }
            else
            {
                // Left behind in the temp folder on purpose: several fixtures of this run share it.
                _directory = Path.Combine(Directory.CreateTempSubdirectory("ldfleet-functions-publish-").FullName, "functions");
                await using var publish = ChildProcess.Start("dotnet publish", "dotnet", ["publish", "functions/LdFleet.Functions.csproj", "-c", RepoPaths.Configuration, "-nologo", "-o", _directory]);
                await Poll.UntilAsync(() => Task.FromResult(publish.HasExited), exited => exited, TimeSpan.FromMinutes(10), "dotnet publish of functions/");
                if (!File.Exists(Path.Combine(_directory, "functions.metadata")))
                {
                    throw new InvalidOperationException("dotnet publish of functions/ failed.\n" + publish.Tail());
                }
            }

            if (!File.Exists(Path.Combine(_directory, "LdFleet.Functions.dll")) || !File.Exists(Path.Combine(_directory, "functions.metadata")))
            {
                throw new InvalidOperationException($"{_directory} holds no published Functions app (LdFleet.Functions.dll, functions.metadata).");
            }

            return _directory;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// Starts the published worker the way the host starts a dotnet-isolated worker (worker.config.json: <c>dotnet</c>
    /// with the worker assembly), pointed at the host double's gRPC address.
    /// </summary>
    public static ChildProcess StartWorker(string directory, Uri host, string workerId, IReadOnlyDictionary<string, string?> settings)
    {
        var environment = new Dictionary<string, string?>(settings)
        {
            ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
            ["FUNCTIONS_APPLICATION_DIRECTORY"] = directory,
            ["AzureWebJobsScriptRoot"] = directory,
        };
        return ChildProcess.Start(
            "worker",
            "dotnet",
            [
                Path.Combine(directory, "LdFleet.Functions.dll"),
                "--functions-uri", host.ToString(),
                "--functions-worker-id", workerId,
                "--functions-request-id", Guid.NewGuid().ToString(),
                "--functions-grpc-max-message-length", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ],
            environment,
            directory);
    }
}
