using LdFleet.Functions.Batches;
using LdFleet.Functions.Operations.Cleanup;
using LdFleet.Functions.Operations.Deadlines;
using Microsoft.Extensions.Options;
using LdFleet.Functions.Hosting;

namespace LdFleet.Functions.Operations;

internal static class OperationsServiceCollectionExtensions
{
    /// <summary>Registers the operations engine, batches, the deadline sweep and the cleanup job.</summary>
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OperationsOptions>()
            .BindConfiguration(OperationsOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.SendRecordDelay < o.RedriveAfter, "Operations:SendRecordDelay must be shorter than Operations:RedriveAfter, or the sweep would send commands again before their send is recorded.")
            .Validate(o => CrashPoints.Parse(o.CrashAt) is null || builder.Environment.IsDevelopment(),
                "Operations:CrashAt is a fault-injection switch for tests and is refused outside the Development environment.")
            .ValidateOnStart();
        builder.Services.AddOptions<BatchOptions>()
            .BindConfiguration(BatchOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<CleanupOptions>()
            .BindConfiguration(CleanupOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<OperationStore>();
        builder.Services.AddSingleton<DeadlineIndex>();
        builder.Services.AddSingleton<CrashPoints>();
        builder.Services.AddSingleton<OperationEngine>();
        builder.Services.AddSingleton<BatchStore>();
        builder.Services.AddSingleton<TargetResolver>();
        builder.Services.AddSingleton<BatchEngine>();
        builder.Services.AddSingleton<IBatchChildObserver>(sp => sp.GetRequiredService<BatchEngine>());
        builder.Services.AddSingleton<IBatchSweeper>(sp => sp.GetRequiredService<BatchEngine>());
        builder.Services.AddSingleton<OperationSweeper>();
        builder.Services.AddSingleton<CleanupJob>();
        if (builder.Configuration.GetValue("Operations:SweepEnabled", true))
        {
            // Under the Functions host the "sweep" timer trigger calls SweepOnceAsync instead.
            builder.Services.AddSelfHostedWorker<OperationSweeper>();
        }

        if (builder.Configuration.GetValue("Cleanup:Enabled", true))
        {
            // Under the Functions host the "cleanup" timer trigger calls CleanupJob.RunOnceAsync instead.
            builder.Services.AddSelfHostedWorker<CleanupTimer>();
        }

        return builder;
    }
}
