using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LdFleet.Relay.Reporting;

internal static class ReportingServiceCollectionExtensions
{
    public static HostApplicationBuilder AddRelayReporting(this HostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReportingOptions>()
            .BindConfiguration(ReportingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<RelayActivity>();
        builder.Services.AddHostedService<RelayReporter>();
        return builder;
    }
}
