using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer.Ssh;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.LdPlayer;

internal static class LdPlayerServiceCollectionExtensions
{
    public static HostApplicationBuilder AddLdPlayerHosts(this HostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<IProcessRunner, ProcessRunner>();
        builder.Services.TryAddSingleton<LdPlayerDriver>();
        builder.Services.TryAddSingleton<ConnectionTest>();
        builder.Services.TryAddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var relay = sp.GetRequiredService<IOptions<RelayOptions>>().Value;
            var logger = sp.GetRequiredService<ILogger<HostCircuitBreaker>>();
            return new LdPlayerHostRegistry(relay.Hosts.Select(h => new LdPlayerHost(h, CreateRunner(sp, h, time), time, relay.Circuit, logger)));
        });
        builder.Services.AddHostedService<HostCircuitProber>();
        return builder;
    }

    /// <summary>
    /// Local hosts share the process runner (a test or host may replace it); each SSH host gets a runner of its
    /// own, holding that host's connection, which the host disposes when the container disposes the registry.
    /// </summary>
    private static IProcessRunner CreateRunner(IServiceProvider services, LdPlayerHostOptions host, TimeProvider time) => host.Kind switch
    {
        LdPlayerHostKind.Local => services.GetRequiredService<IProcessRunner>(),
        LdPlayerHostKind.Ssh => new SshProcessRunner(
            host.Id,
            host.Ssh ?? throw new InvalidOperationException($"Host '{host.Id}' is an SSH host without SSH settings; options validation should have refused it."),
            time,
            services.GetRequiredService<ILogger<SshProcessRunner>>()),
        _ => throw new InvalidOperationException($"Host '{host.Id}' has unknown kind {host.Kind}; options validation should have refused it."),
    };
}
