using LdFleet.Relay.Hosting;

namespace LdFleet.Relay.Tests.Hosting;

public sealed class RelayOptionsValidatorTests
{
    private static readonly string ExistingFile = typeof(RelayOptionsValidatorTests).Assembly.Location;

    [Fact]
    public void Validate_GoodOptions_Succeeds()
    {
        var options = new RelayOptions { SiteId = "lab", Hosts = [new() { Id = "host-1", LdConsolePath = ExistingFile }] };

        Assert.True(new RelayOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validate_EveryMistake_IsNamedPrecisely()
    {
        var options = new RelayOptions
        {
            SiteId = "Bad Site",
            Hosts =
            [
                new() { Id = "host-1", LdConsolePath = "/nope/ldconsole.exe" },
                new() { Id = "host-1", LdConsolePath = "" },
                new() { Id = "", LdConsolePath = ExistingFile, CodePage = 0 },
            ],
        };

        var result = new RelayOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Relay:SiteId:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:0:LdConsolePath: no file at '/nope/ldconsole.exe'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:1:Id: host id 'host-1' is listed twice", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:1:LdConsolePath is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:2:Id:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Relay:Hosts:2:CodePage", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_CircuitAndShutdownOutsideTheirRanges_AreNamed()
    {
        var options = new RelayOptions
        {
            SiteId = "lab",
            Hosts = [new() { Id = "host-1", LdConsolePath = ExistingFile }],
            Circuit = new() { FailureThreshold = 1, SamplingDuration = TimeSpan.FromMilliseconds(100), BreakDuration = TimeSpan.FromDays(2), ProbeInterval = TimeSpan.Zero },
            ShutdownTimeout = TimeSpan.FromMinutes(5),
        };

        var failures = new RelayOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Equal(
            ["Relay:Circuit:FailureThreshold", "Relay:Circuit:SamplingDuration", "Relay:Circuit:BreakDuration", "Relay:Circuit:ProbeInterval", "Relay:ShutdownTimeout"],
            failures.Select(f => f.Split(' ')[0]));
    }

    [Theory]
    [InlineData("10.1.2.7", true)]
    [InlineData("pc-07.lab.local", true)]
    [InlineData("fe80::1", true)]
    [InlineData("10.1.2.7:22", false)]
    [InlineData("pc 07", false)]
    [InlineData("pc-07\u202E", false)]
    public void Validate_SshAddress_UsesTheSharedHostAddressRule(string address, bool valid)
    {
        address = System.Text.RegularExpressions.Regex.Unescape(address);
        var options = new RelayOptions
        {
            SiteId = "lab",
            Hosts = [new() { Id = "pc-7", LdConsolePath = @"C:\LDPlayer\ldconsole.exe", Kind = LdPlayerHostKind.Ssh, Ssh = new() { Address = address, UserName = "u", PrivateKeyPath = ExistingFile, HostKeyFingerprint = "SHA256:" + new string('A', 43) } }],
        };

        var failures = new RelayOptionsValidator().Validate(null, options).Failures ?? [];

        Assert.Equal(valid, !failures.Any(f => f.StartsWith("Relay:Hosts:0:Ssh:Address", StringComparison.Ordinal)));
    }
}
