using System.Diagnostics;
using LdFleet.Testing;

namespace LdFleet.Relay.Tests.Hosting;

/// <summary>
/// The relay's keys (transport connection strings, SSH key passphrase) never reach its output, at the most verbose
/// log level, whether it runs into broker failures or stops on a bad configuration. The real binary runs; the
/// broker and SSH ports are closed loopback ports, so every connection fails and logs.
/// </summary>
public sealed class SecretLoggingTests : IDisposable
{
    private const string TransportSecret = "VHJhbnNwb3J0U2VjcmV0MDE=";
    private const string ResultsSecret = "UmVzdWx0c1NlY3JldDAyMDI=";
    private const string SshPassphrase = "ssh-passphrase-0303";

    private readonly string _dir = Directory.CreateTempSubdirectory("relay-secrets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Relay_FailingToReachBrokerAndHosts_LogsNoSecret()
    {
        await using var relay = ChildProcess.Start("relay", "dotnet", ["exec", RepoPaths.RelayDll, .. Configuration("lab")], Verbose);

        await relay.WaitForLineAsync(l => l.Contains("CommandListener[5002]", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        await relay.WaitForLineAsync(l => l.Contains("Sending a InventoryReport failed", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        await relay.TerminateAsync(TimeSpan.FromSeconds(20));

        AssertNoSecret(relay.Lines);
    }

    [Fact]
    public async Task Relay_BadConfiguration_Exits2AndEchoesNoSecret()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["exec", RepoPaths.RelayDll, .. Configuration("Not A Site")])
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in Verbose)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var output = (await stdout + await stderr).Split('\n');

        Assert.Equal(2, process.ExitCode);
        Assert.Contains(output, l => l.StartsWith("The relay configuration is not valid", StringComparison.Ordinal));
        AssertNoSecret(output);
    }

    private static Dictionary<string, string?> Verbose => new() { ["Logging__LogLevel__Default"] = "Trace", ["DOTNET_ENVIRONMENT"] = "Production" };

    private string[] Configuration(string siteId)
    {
        var broker = FreePort.Next();
        var key = Path.Combine(_dir, "relay_ed25519");
        File.WriteAllText(key, "not a key; the connection fails before it is read");
        return
        [
            $"--Relay:SiteId={siteId}",
            $"--Relay:JournalPath={Path.Combine(_dir, "journal.db")}",
            $"--Transport:ConnectionString=Endpoint=sb://127.0.0.1:{broker}/;SharedAccessKeyName=relay-lab;SharedAccessKey={TransportSecret};EntityPath=ldfleet-site-lab;UseDevelopmentEmulator=true",
            $"--Relay:Credentials:Queues:results:Queue=ldfleet-results",
            $"--Relay:Credentials:Queues:results:Url=http://127.0.0.1:{FreePort.Next()}/devstoreaccount1/ldfleet-results?sv=2025-01-05&se=2099-01-01T00%3A00%3A00Z&sp=a&sig={Uri.EscapeDataString(ResultsSecret)}",
            "--Relay:Hosts:0:Id=pc-7",
            "--Relay:Hosts:0:Kind=Ssh",
            @"--Relay:Hosts:0:LdConsolePath=C:\LDPlayer\LDPlayer9\ldconsole.exe",
            "--Relay:Hosts:0:Ssh:Address=127.0.0.1",
            $"--Relay:Hosts:0:Ssh:Port={FreePort.Next()}",
            "--Relay:Hosts:0:Ssh:UserName=ldplayer",
            $"--Relay:Hosts:0:Ssh:PrivateKeyPath={key}",
            $"--Relay:Hosts:0:Ssh:PrivateKeyPassphrase={SshPassphrase}",
            "--Relay:Hosts:0:Ssh:HostKeyFingerprint=SHA256:YBMI2jZIpJer1GmJqIBzq+EKXT2zP4CwYd364wVzBZQ",
        ];
    }

    private static void AssertNoSecret(IReadOnlyCollection<string> lines)
    {
        Assert.NotEmpty(lines);
        foreach (var secret in (string[])[TransportSecret, ResultsSecret, Uri.EscapeDataString(ResultsSecret)[..^3], SshPassphrase])
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }
}
