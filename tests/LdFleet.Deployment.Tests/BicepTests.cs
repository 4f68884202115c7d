using System.Reflection;
using System.Text.Json.Nodes;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// Every Bicep file compiles and passes the linter with no diagnostic at all, using the Bicep CLI from the
/// Azure.Bicep.CommandLine.linux-x64 NuGet package (no network: only local modules are used).
/// </summary>
public sealed class BicepTests
{
    private static readonly string Bicep = Path.GetFullPath(typeof(BicepTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BicepPath").Value!.Replace('\\', '/'));

    public static TheoryData<string> BicepFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "infra"), "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepoPaths.Root, file));
        }

        return data;
    }

    [Fact]
    public async Task Build_MainTemplate_CompilesWithoutDiagnostics()
    {
        var (exit, stdout, stderr) = await Cli.RunAsync(Bicep, ["build", "infra/main.bicep", "--stdout"], TimeSpan.FromMinutes(2));

        Assert.True(exit == 0 && stderr.Trim().Length == 0, $"bicep build failed ({exit}):\n{stderr}");
        var template = JsonNode.Parse(stdout)!;
        Assert.Equal("https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#", template["$schema"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Lint_EveryFile_IsClean(string file)
    {
        var (exit, stdout, stderr) = await Cli.RunAsync(Bicep, ["lint", file], TimeSpan.FromMinutes(2));

        // Linter rules set to "error" fail the exit code; compiler warnings (BCPxxx) only print, so any output fails.
        Assert.True(exit == 0 && (stdout + stderr).Trim().Length == 0, $"bicep lint {file} ({exit}):\n{stdout}{stderr}");
    }

    [Fact]
    public void BicepConfig_RaisesEveryConfiguredLinterRuleToError()
    {
        var rules = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "bicepconfig.json")))!["analyzers"]!["core"]!["rules"]!.AsObject();

        Assert.NotEmpty(rules);
        Assert.All(rules, r => Assert.Equal("error", r.Value!["level"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Lint_AWarning_FailsTheCheck()
    {
        // Proof that the checks above can fail: an unused parameter is a linter error under infra/bicepconfig.json
        // (Bicep takes the bicepconfig.json nearest to the file, so the probe gets a copy beside it).
        var dir = Directory.CreateTempSubdirectory("bicep-probe-").FullName;
        try
        {
            File.Copy(Path.Combine(RepoPaths.Root, "infra", "bicepconfig.json"), Path.Combine(dir, "bicepconfig.json"));
            var probe = Path.Combine(dir, "probe.bicep");
            File.WriteAllText(probe, "param unused string\n");

            var (exit, stdout, stderr) = await Cli.RunAsync(Bicep, ["lint", probe], TimeSpan.FromMinutes(2));

            Assert.NotEqual(0, exit);
            Assert.Contains("no-unused-params", stdout + stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
