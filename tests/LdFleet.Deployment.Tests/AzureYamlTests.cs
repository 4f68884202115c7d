using System.Text.RegularExpressions;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// azure.yaml names real files: the infrastructure, the service project, the hook scripts, and the package the
/// prepackage hook writes. (Read line by line: the file is small and flat, and no YAML parser is in the build.)
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
    public void FunctionsService_DeploysThePrebuiltZipToAFunctionApp()
    {
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Root, Value("project"))));
        Assert.Equal("custom", Value("language"));
        Assert.Equal("function", Value("host"));

        // azd deploys `dist` as it is; both prepackage scripts must write exactly that file.
        var dist = Value("dist");
        Assert.EndsWith(".zip", dist, StringComparison.Ordinal);
        foreach (var script in (string[])["package-functions.sh", "package-functions.ps1"])
        {
            var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "azd", script));
            Assert.Contains(Path.GetFileName(dist), text, StringComparison.Ordinal);
            Assert.Contains(Path.GetDirectoryName(dist)!.Replace('\\', '/'), text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Hooks_RunScriptsThatExist_ForBothShells()
    {
        var runs = Lines.Select(l => RunLine().Match(l)).Where(m => m.Success).ToList();

        Assert.Equal(4, runs.Count); // prepackage and postprovision, each for posix and windows
        foreach (var run in runs)
        {
            // Service hooks run in the service's folder, project hooks in the root (azd's rule).
            var serviceHook = run.Groups[1].Value.Length > 6;
            var baseDir = serviceHook ? Path.Combine(RepoPaths.Root, Value("project")) : RepoPaths.Root;
            var script = Path.GetFullPath(Path.Combine(baseDir, run.Groups[2].Value));
            Assert.True(File.Exists(script), $"azure.yaml runs {run.Groups[2].Value}, but {script} does not exist");
        }
    }

    private static string Value(string key)
    {
        var match = Lines.Select(l => Regex.Match(l, $@"^\s*{key}:\s*(.+?)\s*$")).First(m => m.Success);
        return match.Groups[1].Value.Trim('"', '\'');
    }

    [GeneratedRegex(@"^(\s*)run:\s*(\S+)\s*$")]
    private static partial Regex RunLine();
}
