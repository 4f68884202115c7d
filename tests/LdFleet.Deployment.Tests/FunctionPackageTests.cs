using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;
using LdFleet.Protocol.Sites;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// The zip azd deploys to Flex Consumption: what the Functions host reads at the package root to run a .NET isolated
/// worker (host.json, functions.metadata, worker.config.json, extensions.json and the host extensions it names), and
/// nothing that must not leave the developer's machine.
/// </summary>
[Collection(PublishedPackagesCollection.Name)]
public sealed class FunctionPackageTests(PublishedPackages packages)
{
    [Fact]
    public void Package_HasHostJsonAtTheRoot_AsInTheRepository()
    {
        using var zip = ZipFile.OpenRead(packages.FunctionsZip);

        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")), Read(zip, "host.json"));
        Assert.Single(zip.Entries, e => e.Name == "host.json");
    }

    [Fact]
    public void FunctionsMetadata_CarriesEveryKindOfTrigger()
    {
        var functions = Functions();

        // The API (every endpoint is an HTTP function), relay results from the Storage queue, the cleanup timer, and the
        // one explicit activity; orchestrators and the other activities come from the task registry at start-up
        // (tests/LdFleet.FunctionsHost.Tests sees the worker report them).
        Assert.True(functions.Count(f => Trigger(f)?["type"]?.GetValue<string>() == "httpTrigger") >= 30);
        Assert.Equal("httpTrigger", TriggerType("Live"));
        Assert.Equal("activityTrigger", TriggerType("StartBatchChildren"));

        var results = Trigger(Function("RelayResults"))!;
        Assert.Equal("queueTrigger", results["type"]!.GetValue<string>());
        Assert.Equal(QueueNames.Results, results["queueName"]!.GetValue<string>());
        Assert.Null(results["connection"]); // AzureWebJobsStorage: identity-based in Azure (functionapp.bicep)

        var cleanup = Trigger(Function("Cleanup"))!;
        Assert.Equal("timerTrigger", cleanup["type"]!.GetValue<string>());
        Assert.Equal("%CleanupSchedule%", cleanup["schedule"]!.GetValue<string>());

        // Every function gets a task hub client: the binding is also what makes the build list the Durable extension.
        Assert.All(functions, f => Assert.Contains(f["bindings"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "durableClient"));
        Assert.All(functions, f => Assert.Equal("dotnet-isolated", f["language"]!.GetValue<string>()));
        Assert.All(functions, f => Assert.Equal("LdFleet.Functions.dll", f["scriptFile"]!.GetValue<string>()));
    }

    [Fact]
    public void ExtensionsJson_NamesTheDurableTaskAndStorageQueueExtensions_ShippedInThePackage()
    {
        using var zip = ZipFile.OpenRead(packages.FunctionsZip);
        var extensions = JsonNode.Parse(Read(zip, "extensions.json"))!["extensions"]!.AsArray().Select(e => e!).ToList();
        var names = extensions.Select(e => e["name"]!.GetValue<string>()).ToList();

        Assert.Contains("DurableTask", names);
        Assert.Contains("AzureStorageQueues", names);

        // The timer trigger is built into the Functions host (Microsoft.Azure.WebJobs.Extensions): the worker SDK lists
        // no extension for it, and none is needed.
        Assert.DoesNotContain(names, n => n.Contains("Timer", StringComparison.OrdinalIgnoreCase));

        foreach (var extension in extensions)
        {
            var hint = extension["hintPath"]!.GetValue<string>();
            hint = hint.StartsWith("./", StringComparison.Ordinal) ? hint[2..] : hint;
            Assert.True(zip.GetEntry(hint) is not null, $"extensions.json names {hint}, which is not in the package");
        }

        // The host extension the worker's DurableTask 1.22.0 package was built against (the reference's 3.x line).
        var durable = FileVersionInfo.GetVersionInfo(Path.Combine(packages.FunctionsDirectory, ".azurefunctions", "Microsoft.Azure.WebJobs.Extensions.DurableTask.dll"));
        Assert.Equal(3, durable.FileMajorPart);
    }

    [Fact]
    public void WorkerConfig_StartsTheWorkerAssemblyWithDotnet_WithWorkerIndexing()
    {
        using var zip = ZipFile.OpenRead(packages.FunctionsZip);
        var description = JsonNode.Parse(Read(zip, "worker.config.json"))!["description"]!;

        Assert.Equal("dotnet-isolated", description["language"]!.GetValue<string>());
        Assert.Equal("dotnet", description["defaultExecutablePath"]!.GetValue<string>());
        var worker = description["defaultWorkerPath"]!.GetValue<string>();
        Assert.Equal("LdFleet.Functions.dll", worker);
        Assert.NotNull(zip.GetEntry(worker));
        Assert.Equal("true", description["workerIndexing"]!.GetValue<string>());

        // Framework-dependent: Flex Consumption's dotnet-isolated runtime brings .NET.
        Assert.Null(zip.GetEntry("libcoreclr.so"));
        var runtimeConfig = JsonNode.Parse(Read(zip, "LdFleet.Functions.runtimeconfig.json"))!["runtimeOptions"]!;
        Assert.StartsWith("net10.", runtimeConfig["tfm"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Package_HoldsNoCustomHandlerNoFunctionJsonAndNoLocalSettings()
    {
        using var zip = ZipFile.OpenRead(packages.FunctionsZip);

        Assert.DoesNotContain(zip.Entries, e => e.Name is "function.json" or "local.settings.json" or "local.settings.example.json" or "packages.lock.json");
        Assert.Null(JsonNode.Parse(Read(zip, "host.json"))!["customHandler"]);
        Assert.All(zip.Entries, e => Assert.DoesNotContain('\\', e.FullName));
    }

    [Fact]
    public void Repository_HasNoFunctionJsonAndNoCustomHandlerLeft()
    {
        var tracked = Git.TrackedFiles();

        Assert.DoesNotContain(tracked, f => Path.GetFileName(f) == "function.json");
        var mentions = tracked
            .Where(f => !f.EndsWith(".lock.json", StringComparison.Ordinal) && f != "tests/LdFleet.Deployment.Tests/FunctionPackageTests.cs")
            .Where(f => File.Exists(Path.Combine(RepoPaths.Root, f)) && new FileInfo(Path.Combine(RepoPaths.Root, f)).Length < 2_000_000)
            .Where(f => File.ReadAllText(Path.Combine(RepoPaths.Root, f)).Contains("customHandler", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.Empty(mentions);
    }

    [Fact]
    public void HostJson_ServesEveryRouteWithoutPrefix_AndPollsOftenEnoughForFlex()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")))!;

        Assert.Equal("2.0", host["version"]!.GetValue<string>());

        // With the default prefix "api" the functions would answer on /api/api/..., /api/health, /api/docs.
        Assert.Equal("", host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());

        // An isolated worker brings its host extensions in the package (extensions.json); a bundle is for scripts.
        Assert.Null(host["extensionBundle"]);

        // After idle, results and orchestration wake-ups wait at most these (Flex: keep both at 10 s or below).
        Assert.InRange(TimeSpan.Parse(host["extensions"]!["queues"]!["maxPollingInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        var durable = host["extensions"]!["durableTask"]!;
        Assert.InRange(TimeSpan.Parse(durable["storageProvider"]!["maxQueuePollingInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        Assert.Equal("%DurableTaskHub%", durable["hubName"]!.GetValue<string>());
        Assert.NotNull(host["functionTimeout"]);
    }

    private JsonArray FunctionsArray() => JsonNode.Parse(File.ReadAllText(Path.Combine(packages.FunctionsDirectory, "functions.metadata")))!.AsArray();

    private List<JsonNode> Functions() => [.. FunctionsArray().Select(f => f!)];

    private JsonNode Function(string name) => Functions().Single(f => f["name"]!.GetValue<string>() == name);

    private string? TriggerType(string name) => Trigger(Function(name))?["type"]?.GetValue<string>();

    private static JsonNode? Trigger(JsonNode function) =>
        function["bindings"]!.AsArray().SingleOrDefault(b => b!["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal));

    private static string Read(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"'{name}' is missing from the package.");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }
}
