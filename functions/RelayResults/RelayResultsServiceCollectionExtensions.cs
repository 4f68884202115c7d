using LdFleet.Functions.Hosting;

namespace LdFleet.Functions.RelayResults;

internal static class RelayResultsServiceCollectionExtensions
{
    public static WebApplicationBuilder AddRelayResults(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RelayResultsOptions>()
            .BindConfiguration(RelayResultsOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.MinPollInterval <= o.MaxPollInterval, "RelayResults:MinPollInterval must not exceed RelayResults:MaxPollInterval.")
            .ValidateOnStart();
        builder.Services.AddScoped<RelayReportHandler>();

        if (builder.Configuration.GetValue(RelayResultsOptions.SectionName + ":" + nameof(RelayResultsOptions.Enabled), true))
        {
            // Under the Functions host the relay-results triggers deliver the messages instead.
            builder.Services.AddSelfHostedWorker<RelayResultsListener>();
        }

        return builder;
    }
}
