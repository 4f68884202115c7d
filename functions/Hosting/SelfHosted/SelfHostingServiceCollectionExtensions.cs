using LdFleet.Functions.Durable;
using LdFleet.Functions.Operations.Cleanup;
using LdFleet.Functions.RelayResults;

namespace LdFleet.Functions.Hosting.SelfHosted;

internal static class SelfHostingServiceCollectionExtensions
{
    /// <summary>
    /// What the Functions host would do, done by the app itself: run the orchestrators and activities (Durable Task on
    /// the Azure Storage backend), consume the results queue, and run the cleanup on its interval.
    /// </summary>
    public static IHostApplicationBuilder AddSelfHosting(this IHostApplicationBuilder builder)
    {
        builder.AddSelfHostedDurableTask();
        if (builder.Configuration.GetValue(RelayResultsOptions.SectionName + ":" + nameof(RelayResultsOptions.Enabled), true))
        {
            builder.Services.AddHostedService<RelayResultsListener>();
        }

        if (builder.Configuration.GetValue(CleanupOptions.SectionName + ":Enabled", true))
        {
            builder.Services.AddHostedService<CleanupTimer>();
        }

        return builder;
    }
}
