using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using LdFleet.Protocol.Sites;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// The names Bicep, the published app and host.json must agree on: app settings, queue names, runtime, roles and
/// site ids. A rename on one side fails here instead of in Azure.
/// </summary>
[Collection(PublishedPackagesCollection.Name)]
public sealed partial class InfrastructureSettingsTests(PublishedPackages packages)
{
    private static readonly string Infra = Path.Combine(RepoPaths.Root, "infra");

    [Fact]
    public void AppSettings_CoverEveryPlaceholderOfTheTriggersAndHostJson()
    {
        var settings = AppSettingNames();
        var text = File.ReadAllText(Path.Combine(packages.FunctionsDirectory, "functions.metadata")) + File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json"));
        var placeholders = Placeholder().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.Contains("CleanupSchedule", placeholders);
        Assert.Contains("DurableTaskHub", placeholders);
        Assert.All(placeholders, p => Assert.Contains(p, settings));
    }

    [Fact]
    public void AppSettings_HostStorageIsIdentityBased_AndFlexOnly()
    {
        var settings = AppSettingNames();

        // Every trigger connection (queue, Durable, timer locks) is AzureWebJobsStorage: identity only, with the
        // user-assigned identity named the way Durable accepts it.
        Assert.Contains("AzureWebJobsStorage__accountName", settings);
        Assert.Contains("AzureWebJobsStorage__credential", settings);
        Assert.Contains("AzureWebJobsStorage__clientId", settings);
        Assert.DoesNotContain("AzureWebJobsStorage", settings);
        Assert.DoesNotContain(settings, s => s.StartsWith("AzureWebJobsStorage__managedIdentityResourceId", StringComparison.Ordinal));

        // Flex Consumption takes the runtime from functionAppConfig and refuses these.
        foreach (var forbidden in (string[])["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTSHARE", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"])
        {
            Assert.DoesNotContain(forbidden, settings);
        }
    }

    [Fact]
    public void FunctionApp_RunsDotnetIsolated_OnTheDotnetTheProjectTargets_WithADurableInstanceAlwaysReady()
    {
        var bicep = File.ReadAllText(Path.Combine(Infra, "modules", "functionapp.bicep"));
        var targetFramework = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Build.props")).Descendants("TargetFramework").Single().Value;

        var runtime = Regex.Match(bicep, @"runtime:\s*\{\s*name:\s*'([^']+)'\s*version:\s*'([^']+)'");
        Assert.True(runtime.Success, "functionAppConfig.runtime not found");
        Assert.Equal("dotnet-isolated", runtime.Groups[1].Value);
        Assert.Equal(targetFramework.Replace("net", "", StringComparison.Ordinal), runtime.Groups[2].Value);
        Assert.Contains("sku: {\n    name: 'FC1'", bicep, StringComparison.Ordinal);

        // Durable Functions on the Azure Storage backend on Flex: one always-ready instance of the durable group.
        var main = File.ReadAllText(Path.Combine(Infra, "main.bicep"));
        Assert.Matches(@"name: 'durable'\s*instanceCount: 1", main);
        Assert.Contains("alwaysReady: alwaysReady", bicep, StringComparison.Ordinal);
    }

    [Fact]
    public void Roles_AreTheOnesDurableFunctionsAndTheHostNeed()
    {
        var rbac = File.ReadAllText(Path.Combine(Infra, "modules", "rbac.bicep"));

        // Storage Blob Data Owner, Queue Data Contributor, Table Data Contributor (built-in ids, the same everywhere).
        foreach (var role in (string[])["b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "974c5e8b-45b9-4653-ba55-5f855dd0fb88", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"])
        {
            Assert.Contains(role, rbac, StringComparison.Ordinal);
        }

        Assert.Matches(@"for role in \[roles\.storageTableDataContributor, roles\.storageQueueDataContributor, roles\.storageBlobDataOwner\]", rbac);
    }

    [Fact]
    public void AppSettings_ForTheApp_NameOptionsTheAppBinds()
    {
        // Section__Key settings of the app's own sections must match an options property or a configuration key
        // the code reads.
        var code = string.Join('\n', new[] { "functions", "protocol" }
            .SelectMany(dir => Directory.GetFiles(Path.Combine(RepoPaths.Root, dir), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var appSections = new[] { "Storage", "Transport", "Operations", "RelayResults", "Durable", "Cleanup" };

        var checkedCount = 0;
        foreach (var setting in AppSettingNames().Where(s => appSections.Contains(s.Split("__")[0])))
        {
            var parts = setting.Split("__");
            var bound = code.Contains($"\"{string.Join(':', parts)}\"", StringComparison.Ordinal)
                || (code.Contains($"SectionName = \"{parts[0]}\"", StringComparison.Ordinal) && Regex.IsMatch(code, $@"public [\w.?<>]+ {parts[1]} {{ get; set; }}"));
            Assert.True(bound, $"App setting {setting} matches no option the app binds.");
            checkedCount++;
        }

        Assert.True(checkedCount >= 2, "the app's own settings were not found in functionapp.bicep");
    }

    [Fact]
    public void Sites_InTheParameters_AreValidAndDistinct()
    {
        var parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "main.parameters.json")))!["parameters"]!;
        var sites = parameters["sites"]!["value"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();

        Assert.NotEmpty(sites);
        Assert.Equal(sites.Count, sites.Distinct(StringComparer.Ordinal).Count());
        Assert.All(sites, s => Assert.Null(FleetIds.ValidateSiteId(s)));
    }

    [Fact]
    public void QueueNames_InBicep_AreTheOnesTheCodeUses()
    {
        var main = File.ReadAllText(Path.Combine(Infra, "main.bicep"));
        var serviceBus = File.ReadAllText(Path.Combine(Infra, "modules", "servicebus.bicep"));
        var storage = File.ReadAllText(Path.Combine(Infra, "modules", "storage.bicep"));

        Assert.Contains($"var resultsQueueName = '{QueueNames.Results}'", main, StringComparison.Ordinal);
        Assert.Contains("name: resultsQueueName", storage, StringComparison.Ordinal); // the Storage queue the trigger reads
        Assert.Equal("ldfleet-site-lab", QueueNames.Commands("lab"));
        Assert.Contains("name: 'ldfleet-site-${site}'", serviceBus, StringComparison.Ordinal);
        Assert.DoesNotContain("resultsQueueName", serviceBus, StringComparison.Ordinal); // results travel on Storage only
    }

    /// <summary>The keys of the appSettings object in functionapp.bicep.</summary>
    private static List<string> AppSettingNames()
    {
        var bicep = File.ReadAllText(Path.Combine(Infra, "modules", "functionapp.bicep"));
        var start = bicep.IndexOf("var appSettings = union(", StringComparison.Ordinal);
        var end = bicep.IndexOf("  entraSettings\n)", start, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "appSettings not found in functionapp.bicep");
        var names = SettingKey().Matches(bicep[start..end]).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(names);
        return names;
    }

    [GeneratedRegex(@"%([A-Za-z0-9_.\-]+)%")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^\s+'?([A-Za-z_][A-Za-z0-9_.\-]*)'?:\s", RegexOptions.Multiline)]
    private static partial Regex SettingKey();
}
