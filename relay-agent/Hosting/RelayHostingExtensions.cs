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
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.JournalPath))
                {
                    var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
                    o.JournalPath = Path.Combine(data.Length > 0 ? data : AppContext.BaseDirectory, "LdFleet", $"relay-{o.SiteId}.db");
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RelayOptions>, RelayOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }
}
