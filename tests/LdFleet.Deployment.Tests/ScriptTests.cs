using System.Management.Automation;
using System.Management.Automation.Language;
using LdFleet.Protocol.Sites;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>
/// The install and hook scripts, as far as Linux can check them: PowerShell's own parser (System.Management
/// .Automation) and sh -n. Running them needs Windows (services, scheduled tasks, the registry), which CI has not.
/// </summary>
public sealed class ScriptTests
{
    private static readonly string Scripts = Path.Combine(RepoPaths.Root, "scripts");

    public static TheoryData<string> PowerShellScripts() => Files("*.ps1");

    public static TheoryData<string> ShellScripts() => Files("*.sh");

    [Theory]
    [MemberData(nameof(PowerShellScripts))]
    public void PowerShell_Parses(string file)
    {
        Parser.ParseFile(Path.Combine(RepoPaths.Root, file), out _, out var errors);

        Assert.True(errors.Length == 0, string.Join('\n', errors.Select(e => $"{file}:{e.Extent.StartLineNumber}: {e.Message}")));
    }

    [Theory]
    [MemberData(nameof(ShellScripts))]
    public async Task Shell_ParsesAndIsExecutable(string file)
    {
        var (exit, _, stderr) = await Cli.RunAsync("sh", ["-n", file], TimeSpan.FromSeconds(30));

        Assert.True(exit == 0, stderr);
        if (!OperatingSystem.IsWindows())
        {
            Assert.True((File.GetUnixFileMode(Path.Combine(RepoPaths.Root, file)) & UnixFileMode.UserExecute) != 0, $"{file} is not executable");
        }
    }

    [Theory]
    [InlineData("relay/Install-LdFleetRelay.ps1")]
    [InlineData("relay/Uninstall-LdFleetRelay.ps1")]
    public void RelayScripts_SupportWhatIfAndConfirm(string file)
    {
        var script = Parse(file);

        var binding = script.ParamBlock.Attributes.Single(a => a.TypeName.Name == "CmdletBinding");
        Assert.Contains(binding.NamedArguments, a => a.ArgumentName == "SupportsShouldProcess");
        Assert.Contains(script.ScriptRequirements.RequiredPSVersion!.Major, new[] { 5 });
        Assert.True(script.ScriptRequirements.IsElevationRequired);
    }

    [Fact]
    public void Install_TakesSecretsAsSecureStringsAndNeverWritesThemOut()
    {
        var script = Parse("relay/Install-LdFleetRelay.ps1");
        var parameters = script.ParamBlock.Parameters.ToDictionary(p => p.Name.VariablePath.UserPath, StringComparer.OrdinalIgnoreCase);

        Assert.Equal(typeof(System.Security.SecureString), parameters["RelayCredentials"].StaticType);
        Assert.Equal(typeof(System.Security.SecureString), parameters["ServiceBusConnectionString"].StaticType);
        Assert.Equal(typeof(PSCredential), parameters["Credential"].StaticType);

        // The plain-text copies may go to the settings file, never to an output stream or a host line; the installer's
        // functions included (their parameters and locals that hold a key or a SAS URL).
        string[] secrets =
        [
            "credentialsJson", "answer", "issued", "serviceBus", "settings", "settingsJson", "RelayCredentials", "ServiceBusConnectionString", "Credential",
            "Answer", "credentials", "queues", "url", "parsed", "ConnectionString", "values", "Queues",
        ];
        string[] writers = ["Write-Host", "Write-Output", "Write-Verbose", "Write-Warning", "Write-Information", "Write-Debug", "Out-Host", "Out-File", "Add-Content"];
        var leaks = script.FindAll(a => a is CommandAst c && writers.Contains(c.GetCommandName(), StringComparer.OrdinalIgnoreCase), searchNestedScriptBlocks: true)
            .SelectMany(c => c.FindAll(v => v is VariableExpressionAst, searchNestedScriptBlocks: true))
            .Cast<VariableExpressionAst>()
            .Where(v => secrets.Contains(v.VariablePath.UserPath, StringComparer.OrdinalIgnoreCase))
            .Select(v => $"line {v.Extent.StartLineNumber}: {v.Extent.Text}")
            .ToList();
        Assert.Empty(leaks);
    }

    [Theory]
    [InlineData("lab", true)]
    [InlineData("site-2", true)]
    [InlineData("a", true)]
    [InlineData("Lab", false)]
    [InlineData("-lab", false)]
    [InlineData("lab-", false)]
    [InlineData("la--b", false)]
    [InlineData("a-very-long-site-name-that-goes-past-forty-chars", false)]
    public void Install_SiteIdPattern_AgreesWithTheRelay(string siteId, bool valid)
    {
        var parameter = Parse("relay/Install-LdFleetRelay.ps1").ParamBlock.Parameters.Single(p => p.Name.VariablePath.UserPath == "SiteId");
        var pattern = parameter.Attributes.OfType<AttributeAst>().Single(a => a.TypeName.Name == "ValidatePattern").PositionalArguments.Single().SafeGetValue()!.ToString()!;

        Assert.Equal(valid, FleetIds.ValidateSiteId(siteId) is null);
        Assert.Equal(valid, System.Text.RegularExpressions.Regex.IsMatch(siteId, pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant));
    }

    [Fact]
    public void Install_ServiceMode_RefusesBuiltInAccountsAndLocalHostsWithoutForce()
    {
        var text = File.ReadAllText(Path.Combine(Scripts, "relay", "Install-LdFleetRelay.ps1"));

        Assert.Contains("Running as LocalSystem is refused without -Force", text, StringComparison.Ordinal);
        Assert.Contains("Service mode with a local LDPlayer host cannot work", text, StringComparison.Ordinal);
        Assert.Contains("-LogonType Interactive", text, StringComparison.Ordinal);
    }

    private static ScriptBlockAst Parse(string file) => Parser.ParseFile(Path.Combine(Scripts, file), out _, out _);

    private static TheoryData<string> Files(string pattern)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Scripts, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepoPaths.Root, file));
        }

        return data;
    }
}
