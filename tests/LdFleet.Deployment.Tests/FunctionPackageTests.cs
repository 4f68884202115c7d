using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using LdFleet.Protocol.Sites;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// The zip azd deploys to Flex Consumption: what the Functions host needs at the package root, with the handler
/// executable on Linux, and nothing that must not leave the developer's machine.
/// </summary>
[Collection(PublishedPackagesCollection.Name)]
public sealed class FunctionPackageTests(PublishedPackages packages)
{
    // Fixed by the app-side invocation endpoints (the function name is the route the host POSTs to).
    private static readonly string[] Functions = ["api", "sweep", "cleanup", "relay-results", "relay-results-storage"];

    private static string SourceRoot => Path.Combine(RepoPaths.Root, "functions", "FunctionApp");

    [Fact]
    public void FunctionFolders_AreExactlyTheFixedFunctionNames()
    {
        var folders = Directory.GetDirectories(SourceRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.Equal(Functions.Order(StringComparer.Ordinal), folders);
    }

    [Fact]
    public void Package_HasHostJsonAndEveryFunctionJsonAtTheRoot_AsInTheSource()
    {
        using var zip = ZipFile.OpenRead(packages.FunctionsZip);

        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "host.json")), Read(zip, "host.json"));
        foreach (var function in Functions)
        {
            Assert.Equal(File.ReadAllText(Path.Combine(SourceRoot, function, "function.json")), Read(zip, $"{function}/function.json"));
        }

        Assert.DoesNotContain(zip.Entries, e => e.FullName.StartsWith("FunctionApp/", StringComparison.Ordinal));
    }

    [Fact]
    public void Package_HandlerNamedInHostJson_IsAnExecutableLinuxBinary()
    {
        using var zip = ZipFile.OpenRead(packages.FunctionsZip);
        var handler = JsonNode.Parse(Read(zip, "host.json"))!["customHandler"]!["description"]!["defaultExecutablePath"]!.GetValue<string>();

        var entry = zip.GetEntry(handler);
        Assert.NotNull(entry);
        Assert.Equal(0x81ED, (entry.ExternalAttributes >> 16) & 0xFFFF); // regular file, rwxr-xr-x
        using var stream = entry.Open();
        var magic = new byte[4];
        stream.ReadExactly(magic);
        Assert.Equal([0x7F, (byte)'E', (byte)'L', (byte)'F'], magic);

        // Self-contained: the .NET runtime travels with it (Flex Consumption has no .NET 10 for runtime "custom").
        Assert.NotNull(zip.GetEntry("libcoreclr.so"));
        Assert.NotNull(zip.GetEntry("libhostfxr.so"));
    }

    [Fact]
    public void Package_HoldsNoLocalSettingsOrBuildLeftovers()
    {
        using var zip = ZipFile.OpenRead(packages.FunctionsZip);

        Assert.DoesNotContain(zip.Entries, e => e.Name is "local.settings.json" or "local.settings.example.json" or "packages.lock.json" or "web.config");
        Assert.All(zip.Entries, e => Assert.DoesNotContain('\\', e.FullName));
    }

    [Fact]
    public void HostJson_ForwardsHttpToTheAppAndLoadsTheExtensionBundle()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "host.json")))!;

        Assert.Equal("2.0", host["version"]!.GetValue<string>());
        Assert.True(host["customHandler"]!["enableForwardingHttpRequest"]!.GetValue<bool>());
        Assert.Equal("Microsoft.Azure.Functions.ExtensionBundle", host["extensionBundle"]!["id"]!.GetValue<string>());
        Assert.Equal("LdFleet.Functions", host["customHandler"]!["description"]!["defaultExecutablePath"]!.GetValue<string>());
    }

    [Fact]
    public void Api_IsAnAnonymousCatchAllForEveryMethod_WithAnHttpOutput()
    {
        var bindings = Bindings("api");

        Assert.Equal(2, bindings.Count);
        var trigger = bindings.Single(b => Text(b, "type") == "httpTrigger");
        Assert.Equal("in", Text(trigger, "direction"));
        Assert.Equal("anonymous", Text(trigger, "authLevel"));
        Assert.Equal("{*path}", Text(trigger, "route"));
        Assert.Null(trigger["methods"]); // no list = every method
        Assert.Equal("out", Text(bindings.Single(b => Text(b, "type") == "http"), "direction"));
    }

    [Fact]
    public void HostJson_ForwardsEveryPath_SoHealthDocsAndDashboardWorkUnderTheHost()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "host.json")))!;

        // With the default prefix "api" the host would forward only /api/*; /health, /docs and /dashboard would 404.
        Assert.Equal("", host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
        Assert.True(host["customHandler"]!["enableForwardingHttpRequest"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("sweep", "%Operations__SweepSchedule%")]
    [InlineData("cleanup", "%Cleanup__Schedule%")]
    public void Timers_TakeTheirScheduleFromAppSettings(string function, string schedule)
    {
        var trigger = Assert.Single(Bindings(function));

        Assert.Equal("timerTrigger", Text(trigger, "type"));
        Assert.Equal(schedule, Text(trigger, "schedule"));
    }

    [Theory]
    [InlineData("relay-results", "serviceBusTrigger", "ServiceBusConnection")]
    [InlineData("relay-results-storage", "queueTrigger", "AzureWebJobsStorage")]
    public void ResultTriggers_ListenOnTheResultsQueue(string function, string type, string connection)
    {
        var trigger = Assert.Single(Bindings(function));

        Assert.Equal(type, Text(trigger, "type"));
        Assert.Equal("in", Text(trigger, "direction"));
        Assert.Equal(QueueNames.Results, Text(trigger, "queueName"));
        Assert.Equal(connection, Text(trigger, "connection"));
    }

    private static List<JsonNode> Bindings(string function) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(SourceRoot, function, "function.json")))!["bindings"]!.AsArray().Select(b => b!).ToList();

    private static string? Text(JsonNode node, string property) => node[property]?.GetValue<string>();

    private static string Read(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"'{name}' is missing from the package.");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }
}
