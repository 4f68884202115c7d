using LdFleet.Relay.Hosting;

namespace LdFleet.Relay.Tests.Hosting;

/// <summary>The SSH host rules of <see cref="RelayOptionsValidator"/>.</summary>
public sealed class RelayOptionsValidatorSshTests
{
    private const string Fingerprint = "SHA256:YBMI2jZIpJer1GmJqIBzq+EKXT2zP4CwYd364wVzBZQ";
    private static readonly string ExistingFile = typeof(RelayOptionsValidatorSshTests).Assembly.Location;

    [Fact]
    public void Validate_SshHost_RemoteLdConsolePathIsNotCheckedLocally()
    {
        var options = Options(SshHost());

        var result = new RelayOptionsValidator().Validate(null, options);

        Assert.True(result.Succeeded, string.Join("\n", result.Failures ?? []));
    }

    [Fact]
    public void Validate_SshKindWithoutSshSection_Fails()
    {
        var host = SshHost();
        host.Ssh = null;

        var failures = Failures(Options(host));

        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:0:Ssh is required when Kind is Ssh", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SshSectionOnLocalHost_Fails()
    {
        var host = SshHost();
        host.Kind = LdPlayerHostKind.Local;
        host.LdConsolePath = ExistingFile;

        var failures = Failures(Options(host));

        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:0:Ssh is set but Kind is Local", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EverySshMistake_IsNamedPrecisely()
    {
        var host = SshHost();
        host.Ssh = new SshHostOptions
        {
            Address = " ",
            Port = 0,
            UserName = "",
            PrivateKeyPath = "/nope/id_ed25519",
            HostKeyFingerprint = "MD5:00:11",
            ConnectTimeout = TimeSpan.Zero,
        };

        var failures = Failures(Options(host));

        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:0:Ssh:Address is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:0:Ssh:Port must be between 1 and 65535", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:0:Ssh:UserName is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:0:Ssh:PrivateKeyPath: no file at '/nope/id_ed25519'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:0:Ssh:HostKeyFingerprint must be", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:0:Ssh:ConnectTimeout must be positive", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Fingerprint, true)]
    [InlineData(Fingerprint + "=", true)]
    [InlineData("sha256:YBMI2jZIpJer1GmJqIBzq+EKXT2zP4CwYd364wVzBZQ", false)]
    [InlineData("YBMI2jZIpJer1GmJqIBzq+EKXT2zP4CwYd364wVzBZQ", false)]
    [InlineData("SHA256:YBMI2jZIpJer1GmJqIBzq+EKXT2zP4CwYd364wVzBZ", false)]
    [InlineData("SHA256:YBMI2jZIpJer1GmJqIBzq+EKXT2zP4CwYd364wVzB!Q", false)]
    [InlineData("", false)]
    public void Validate_HostKeyFingerprint_MustBeSha256Form(string fingerprint, bool valid)
    {
        var host = SshHost();
        host.Ssh!.HostKeyFingerprint = fingerprint;

        var failures = Failures(Options(host));

        Assert.Equal(valid, !failures.Any(f => f.Contains("HostKeyFingerprint", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(65535, true)]
    [InlineData(-22, false)]
    [InlineData(65536, false)]
    public void Validate_Port_MustBeInRange(int port, bool valid)
    {
        var host = SshHost();
        host.Ssh!.Port = port;

        Assert.Equal(valid, new RelayOptionsValidator().Validate(null, Options(host)).Succeeded);
    }

    [Fact]
    public void Validate_EnvironmentThatCmdCannotCarry_Fails()
    {
        var host = SshHost();
        host.Environment["LDSIM_HOME"] = "%TEMP%";
        host.Environment["BAD-NAME"] = "x";

        var failures = Failures(Options(host));

        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:0:Ssh: LdConsolePath or Environment cannot be passed through Cmd", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_LocalHost_StillNeedsAnExistingLdConsole()
    {
        var options = Options(new LdPlayerHostOptions { Id = "host-1", LdConsolePath = "/nope/ldconsole.exe" });

        Assert.Contains(Failures(options), f => f.StartsWith("Relay:Hosts:0:LdConsolePath: no file at", StringComparison.Ordinal));
    }

    private static LdPlayerHostOptions SshHost() => new()
    {
        Id = "host-1",
        Kind = LdPlayerHostKind.Ssh,
        LdConsolePath = @"C:\LDPlayer\LDPlayer9\ldconsole.exe",
        Ssh = new SshHostOptions
        {
            Address = "192.168.1.20",
            UserName = "ldplayer",
            PrivateKeyPath = ExistingFile,
            HostKeyFingerprint = Fingerprint,
        },
    };

    private static RelayOptions Options(LdPlayerHostOptions host) => new() { SiteId = "lab", Hosts = [host] };

    private static List<string> Failures(RelayOptions options) =>
        new RelayOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];
}
