using System.Globalization;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LdFleet.Relay.Tests.LdPlayer.Ssh;

/// <summary>An SSH host in configuration becomes an SSH-backed host in the container, and goes away with it.</summary>
[Collection(SshServerCollection.Name)]
public sealed class SshWiringTests(SshServerFixture server)
{
    [Fact]
    public async Task AddLdPlayerHosts_SshHost_RunsOverSshAndDisconnectsOnDispose()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 2);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Relay:SiteId"] = "lab",
            ["Relay:Hosts:0:Id"] = "host-1",
            ["Relay:Hosts:0:Kind"] = "Ssh",
            ["Relay:Hosts:0:LdConsolePath"] = RepoPaths.Simulator,
            ["Relay:Hosts:0:Environment:LDSIM_HOME"] = sim.Home,
            ["Relay:Hosts:0:Environment:DOTNET_ROOT"] = SshDriverTests.DotnetRoot(),
            ["Relay:Hosts:0:Ssh:Address"] = "127.0.0.1",
            ["Relay:Hosts:0:Ssh:Port"] = server.Port.ToString(CultureInfo.InvariantCulture),
            ["Relay:Hosts:0:Ssh:UserName"] = server.UserName,
            ["Relay:Hosts:0:Ssh:PrivateKeyPath"] = server.ClientKeyPath,
            ["Relay:Hosts:0:Ssh:HostKeyFingerprint"] = server.HostKeyFingerprint,
            ["Relay:Hosts:0:Ssh:Shell"] = "Posix",
        });
        builder.AddRelayOptions();
        builder.AddLdPlayerHosts();
        var loginsBefore = server.AcceptedLogins;
        var disconnectsBefore = Disconnects();

        using (var host = builder.Build())
        {
            var registry = host.Services.GetRequiredService<LdPlayerHostRegistry>();
            var (emulators, error) = await host.Services.GetRequiredService<LdPlayerDriver>().ListAsync(registry.Find("host-1")!, default);

            Assert.True(emulators is not null, error);
            Assert.Equal(2, emulators.Count);
            await Poll.UntilAsync(() => Task.FromResult(server.AcceptedLogins - loginsBefore), n => n == 1, TimeSpan.FromSeconds(5), "sshd to log one login");
        }

        await Poll.UntilAsync(() => Task.FromResult(Disconnects() - disconnectsBefore), n => n == 1, TimeSpan.FromSeconds(5), "the relay's SSH connection to close");
    }

    private int Disconnects() => server.Log.Count(l => l.StartsWith("Received disconnect from 127.0.0.1", StringComparison.Ordinal));
}
