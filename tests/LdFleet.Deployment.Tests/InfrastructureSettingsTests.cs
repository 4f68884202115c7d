using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LdFleet.Protocol.Sites;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// The names Bicep, function.json and the app must agree on: app settings, queue names and site ids. A rename on
/// one side fails here instead of in Azure.
/// </summary>
public sealed partial class InfrastructureSettingsTests
{
    private static readonly string Infra = Path.Combine(RepoPaths.Root, "infra");

    [Fact]
    public void AppSettings_CoverEveryFunctionJsonPlaceholderAndConnection()
    {
        var settings = AppSettingNames();
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "functions", "FunctionApp"), "function.json", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            foreach (Match placeholder in Placeholder().Matches(text))
            {
                Assert.Contains(placeholder.Groups[1].Value, settings);
            }

            foreach (var binding in JsonNode.Parse(text)!["bindings"]!.AsArray())
            {
                if (binding!["connection"]?.GetValue<string>() is { } connection)
                {
                    Assert.Contains(settings, s => s.StartsWith(connection + "__", StringComparison.Ordinal));
                }
            }
        }

        Assert.Contains("AzureWebJobs.relay-results-storage.Disabled", settings);
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", settings); // Flex Consumption refuses it
    }

    [Fact]
    public void AppSettings_ForTheApp_NameOptionsTheAppBinds()
    {
        // Section__Key settings of the app's own sections must match an options property or a configuration key
        // the code reads; the host-only ones (schedules, trigger connections) are checked above.
        var code = string.Join('\n', new[] { "functions", "protocol" }
            .SelectMany(dir => Directory.GetFiles(Path.Combine(RepoPaths.Root, dir), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var appSections = new[] { "Storage", "Transport", "Operations", "RelayResults" };
        var hostOnly = new[] { "Operations__SweepSchedule" };

        var checkedCount = 0;
        foreach (var setting in AppSettingNames().Where(s => appSections.Contains(s.Split("__")[0]) && !hostOnly.Contains(s)))
        {
            var parts = setting.Split("__");
            var bound = code.Contains($"\"{string.Join(':', parts)}\"", StringComparison.Ordinal)
                || (code.Contains($"SectionName = \"{parts[0]}\"", StringComparison.Ordinal) && Regex.IsMatch(code, $@"public [\w.?<>]+ {parts[1]} {{ get; set; }}"));
            Assert.True(bound, $"App setting {setting} matches no option the app binds.");
            checkedCount++;
        }

        Assert.True(checkedCount >= 4, "the app's own settings were not found in functionapp.bicep");
    }

    [Fact]
    public void Sites_InTheParameters_AreValidAndFitServiceBusLimits()
    {
        var parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "main.parameters.json")))!["parameters"]!;
        var sites = parameters["sites"]!["value"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();

        Assert.NotEmpty(sites);
        Assert.InRange(sites.Count, 1, 12); // 12 SAS rules per queue; every site has one on the results queue
        Assert.Equal(sites.Count, sites.Distinct(StringComparer.Ordinal).Count());
        Assert.All(sites, s => Assert.Null(FleetIds.ValidateSiteId(s)));
    }

    [Fact]
    public void QueueNames_InBicep_AreTheOnesTheCodeUses()
    {
        var main = File.ReadAllText(Path.Combine(Infra, "main.bicep"));
        var serviceBus = File.ReadAllText(Path.Combine(Infra, "modules", "servicebus.bicep"));

        Assert.Contains($"var resultsQueueName = '{QueueNames.Results}'", main, StringComparison.Ordinal);
        Assert.Equal("ldfleet-site-lab", QueueNames.Commands("lab"));
        Assert.Contains("name: 'ldfleet-site-${site}'", serviceBus, StringComparison.Ordinal);
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
