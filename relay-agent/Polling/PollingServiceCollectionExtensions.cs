using LdFleet.Protocol.Transport;

namespace LdFleet.Relay.Polling;

internal static class PollingServiceCollectionExtensions
{
    public static HostApplicationBuilder AddCommandPolling(this HostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PollingOptions>()
            .BindConfiguration(PollingOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.MinPollInterval <= o.MaxPollInterval, "Polling:MinPollInterval must not exceed Polling:MaxPollInterval.")
            .ValidateOnStart();
        builder.Services.AddFleetTransport();
        builder.Services.AddHostedService<CommandListener>();
        return builder;
    }
}
