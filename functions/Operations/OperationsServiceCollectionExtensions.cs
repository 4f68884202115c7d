using LdFleet.Functions.Batches;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Operations.Cleanup;
using LdFleet.Functions.Operations.Exclusivity;
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

        // The services that talk to the task hub live in the scope of one request or function invocation, where the
        // hub's client is (see DurableClientScope).
        services.AddScoped(sp => new DurableClientScope(sp.GetService<Microsoft.DurableTask.Client.DurableTaskClient>()));
        services.AddScoped<OperationService>();
        services.AddScoped<BatchService>();
        services.AddScoped<CleanupJob>();
        services.AddSingleton<OperationStore>();
        services.AddSingleton<SiteCommandQueues>();
        services.AddSingleton<EmulatorLocks>();
        services.AddSingleton<BatchStore>();
        services.AddSingleton<TargetResolver>();
        return builder;
    }
}
