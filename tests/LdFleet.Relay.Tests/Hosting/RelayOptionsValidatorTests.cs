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
}
