namespace LdFleet.Functions.RelayResults;

internal static class RelayResultsServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddRelayResults(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RelayResultsOptions>()
            .BindConfiguration(RelayResultsOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.MinPollInterval <= o.MaxPollInterval, "RelayResults:MinPollInterval must not exceed RelayResults:MaxPollInterval.")
            .ValidateOnStart();
        builder.Services.AddScoped<RelayReportHandler>();
        return builder;
    }
}
