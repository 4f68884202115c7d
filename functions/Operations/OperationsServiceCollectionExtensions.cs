using LdFleet.Functions.Batches;
using LdFleet.Functions.Hosting;
using LdFleet.Functions.Operations.Cleanup;
using LdFleet.Functions.Operations.Orchestration;

namespace LdFleet.Functions.Operations;

internal static class OperationsServiceCollectionExtensions
{
    /// <summary>Registers operations and batches (services, read models, what their activities need) and the cleanup job.</summary>
    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OperationsOptions>()
            .BindConfiguration(OperationsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<BatchOptions>()
            .BindConfiguration(BatchOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<CleanupOptions>()
            .BindConfiguration(CleanupOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddSingleton<OperationStore>();
        services.AddSingleton<OperationService>();
        services.AddSingleton<SiteCommandQueues>();
        services.AddSingleton<BatchStore>();
        services.AddSingleton<TargetResolver>();
        services.AddSingleton<BatchService>();
        services.AddSingleton<CleanupJob>();
        if (builder.Configuration.GetValue("Cleanup:Enabled", true))
        {
            // Under the Functions host the "cleanup" timer function calls CleanupJob.RunOnceAsync instead.
            services.AddSelfHostedWorker<CleanupTimer>();
        }

        return builder;
    }
}
