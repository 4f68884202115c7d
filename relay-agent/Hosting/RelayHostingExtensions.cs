using LdFleet.Protocol.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Hosting;

internal static class RelayHostingExtensions
{
    public static HostApplicationBuilder AddRelayOptions(this HostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RelayOptions>()
            .BindConfiguration(RelayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RelayOptions>, RelayOptionsValidator>());
        builder.Services.AddFleetTransport();
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }
}
