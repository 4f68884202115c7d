using LdFleet.Relay.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.LdPlayer;

internal static class LdPlayerServiceCollectionExtensions
{
    public static HostApplicationBuilder AddLdPlayerHosts(this HostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<IProcessRunner, ProcessRunner>();
        builder.Services.TryAddSingleton<LdPlayerDriver>();
        builder.Services.TryAddSingleton(sp =>
        {
            var runner = sp.GetRequiredService<IProcessRunner>();
            var hosts = sp.GetRequiredService<IOptions<RelayOptions>>().Value.Hosts;
            return new LdPlayerHostRegistry(hosts.Select(h => new LdPlayerHost(h, runner)));
        });
        return builder;
    }
}
