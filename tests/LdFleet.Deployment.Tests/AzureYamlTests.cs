using System.Text.RegularExpressions;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// azure.yaml names real files: the infrastructure, the service project and the hook scripts, and deploys the
/// Functions project the standard way. (Read line by line: the file is small and flat, and no YAML parser is in the
/// build.)
/// </summary>
public sealed partial class AzureYamlTests
{
    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "azure.yaml"));

    [Fact]
    public void Infra_PointsAtTheBicepEntryPointAndItsParameters()
    {
        Assert.Equal("bicep", Value("provider"));
        var infra = Path.Combine(RepoPaths.Root, Value("path"));
        Assert.True(File.Exists(Path.Combine(infra, Value("module") + ".bicep")));
        Assert.True(File.Exists(Path.Combine(infra, Value("module") + ".parameters.json")));
    }

    [Fact]
    public void FunctionsService_IsTheDotnetProject_DeployedToAFunctionApp_WithoutPackagingScripts()
    {
        var project = Path.Combine(RepoPaths.Root, Value("project"));
        Assert.True(File.Exists(Path.Combine(project, "LdFleet.Functions.csproj")));
        Assert.Equal("dotnet", Value("language"));
        Assert.Equal("function", Value("host"));

        // azd publishes and zips the project itself: no prebuilt package, no prepackage hook.
        Assert.DoesNotContain(Lines, l => Regex.IsMatch(l, @"^\s*(dist|prepackage):"));
        Assert.False(Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "scripts", "azd"), "package-functions.*").Any());
    }

    [Fact]
    public void Hooks_RunScriptsThatExist_ForBothShells()
    {
        var runs = Lines.Select(l => RunLine().Match(l)).Where(m => m.Success).ToList();

        Assert.Equal(2, runs.Count); // postprovision, for posix and windows
        foreach (var run in runs)
        {
            // Project hooks run in the repository root (azd's rule).
            var script = Path.GetFullPath(Path.Combine(RepoPaths.Root, run.Groups[2].Value));
            Assert.True(File.Exists(script), $"azure.yaml runs {run.Groups[2].Value}, but {script} does not exist");
        }
    }

    [Theory]
    [InlineData("write-local-settings.sh")]
    [InlineData("write-local-settings.ps1")]
    public void PostprovisionHook_WritesSettingsForTheIsolatedWorker_WithATaskHubOfItsOwn(string script)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "azd", script));

        Assert.Contains("dotnet-isolated", text, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage__accountName", text, StringComparison.Ordinal);
        Assert.Contains("DurableTaskHub", text, StringComparison.Ordinal);
        Assert.Contains("local", text[text.IndexOf("DurableTaskHub", StringComparison.Ordinal)..].Split('\n')[0], StringComparison.Ordinal);
        Assert.Contains("CleanupSchedule", text, StringComparison.Ordinal);
    }

    private static string Value(string key)
    {
        var match = Lines.Select(l => Regex.Match(l, $@"^\s*{key}:\s*(.+?)\s*$")).First(m => m.Success);
        return match.Groups[1].Value.Trim('"', '\'');
    }

    [GeneratedRegex(@"^(\s*)run:\s*(\S+)\s*$")]
    private static partial Regex RunLine();
}
