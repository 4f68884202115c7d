using LdFleet.Relay.Execution;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.Polling;
using LdFleet.Relay.Reporting;
using LdFleet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Tests.Hosting;

/// <summary>
/// The relay's process wiring as the Windows service and the console share it. The SCM itself cannot run here
/// (Linux): these tests cover everything up to it: the composition, the configuration sources, exit codes, and
/// that the service name the installer registers is the one the relay uses.
/// </summary>
public sealed class RelayHostTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("relay-host-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Compose_ValidConfiguration_BuildsWithScopeValidationAndRunsEveryBackgroundService()
    {
        Assert.True(RelayHost.TryCreateBuilder(ValidArgs(), TextWriter.Null, out var builder));
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));

        using var host = RelayHost.Compose(builder).Build();
        host.Services.GetRequiredService<IStartupValidator>().Validate();

        var hosted = host.Services.GetServices<IHostedService>().Select(s => s.GetType()).ToList();
        Assert.Contains(typeof(CommandListener), hosted);
        Assert.Contains(typeof(RelayReporter), hosted);
        Assert.Contains(typeof(JournalPruner), hosted);

        // Off Windows (and on Windows outside the SCM) the console lifetime stays: AddWindowsService is context-aware.
        Assert.False(RelayHost.IsWindowsService);
        Assert.Equal("ConsoleLifetime", host.Services.GetRequiredService<IHostLifetime>().GetType().Name);
    }

    [Fact]
    public void TryCreateBuilder_ContentRootIsTheInstallFolder_NotTheWorkingDirectory()
    {
        // A service starts in System32; appsettings.json must still be found beside the executable.
        Assert.True(RelayHost.TryCreateBuilder([], TextWriter.Null, out var builder));

        Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), Path.TrimEndingDirectorySeparator(builder.Environment.ContentRootPath));
    }

    [Fact]
    public void TryCreateBuilder_SettingsFile_IsReadAndTheCommandLineStillWins()
    {
        var settings = Path.Combine(_dir, "relay.settings.json");
        File.WriteAllText(settings, """{ "Relay": { "SiteId": "from-file", "JournalPath": "from-file.db" } }""");

        Assert.True(RelayHost.TryCreateBuilder(["--settings", settings, "--Relay:SiteId=from-args"], TextWriter.Null, out var builder));

        Assert.Equal("from-args", builder.Configuration["Relay:SiteId"]);
        Assert.Equal("from-file.db", builder.Configuration["Relay:JournalPath"]);
    }

    [Fact]
    public async Task RunAsync_MissingSettingsFile_Exits2NamingIt()
    {
        var stderr = new StringWriter();

        var exit = await RelayHost.RunAsync(["--settings", Path.Combine(_dir, "nope.json")], stderr);

        Assert.Equal(RelayExitCodes.BadConfiguration, exit);
        Assert.Contains("--settings: no file at", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BadConfiguration_Exits2ListingEverySettingToFix()
    {
        var stderr = new StringWriter();

        var exit = await RelayHost.RunAsync(
            ["--Relay:SiteId=Not A Site", "--Relay:Hosts:0:Id=pc-1", "--Relay:Hosts:0:LdConsolePath=/nope/ldconsole.exe", "--Transport:ConnectionString=nonsense", "--Polling:MaxConcurrency=0"],
            stderr);

        Assert.Equal(RelayExitCodes.BadConfiguration, exit);
        var text = stderr.ToString();
        Assert.StartsWith("The relay configuration is not valid:", text, StringComparison.Ordinal);
        Assert.Contains("Relay:SiteId:", text, StringComparison.Ordinal);
        Assert.Contains("Relay:Hosts:0:LdConsolePath: no file at '/nope/ldconsole.exe'", text, StringComparison.Ordinal);
        Assert.Contains("Transport:ConnectionString is not recognised", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigurationFailures_OtherExceptions_AreNotMistakenForConfiguration()
    {
        Assert.Null(RelayHost.ConfigurationFailures(new InvalidOperationException("boom")));
        Assert.Null(RelayHost.ConfigurationFailures(new AggregateException(new OptionsValidationException("x", typeof(object), ["a"]), new IOException())));
        Assert.Equal(["a", "b"], RelayHost.ConfigurationFailures(new AggregateException(new OptionsValidationException("x", typeof(object), ["a"]), new OptionsValidationException("y", typeof(object), ["b"]))));
    }

    [Fact]
    public void ServiceName_IsTheOneTheInstallScriptsRegister()
    {
        foreach (var script in (string[])["Install-LdFleetRelay.ps1", "Uninstall-LdFleetRelay.ps1"])
        {
            var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "relay", script));
            Assert.Contains($"$ServiceName = '{RelayHost.ServiceName}'", text, StringComparison.Ordinal);
            Assert.Contains($"$EventSource = '{typeof(RelayHost).Assembly.GetName().Name}'", text, StringComparison.Ordinal);
        }
    }

    private string[] ValidArgs() =>
    [
        "--Relay:SiteId=lab",
        $"--Relay:JournalPath={Path.Combine(_dir, "journal.db")}",
        "--Relay:Hosts:0:Id=pc-1",
        $"--Relay:Hosts:0:LdConsolePath={typeof(RelayHostTests).Assembly.Location}",
        "--Transport:ConnectionString=UseDevelopmentStorage=true",
    ];
}
