using LdFleet.Functions.Hosting;

namespace LdFleet.Functions.Operations;

internal static class OperationsServiceCollectionExtensions
{
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OperationsOptions>()
            .BindConfiguration(OperationsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<OperationStore>();
        builder.Services.AddSingleton<OperationService>();
        builder.Services.AddSingleton<OperationSweeper>();
        if (builder.Configuration.GetValue("Operations:SweepEnabled", true))
        {
            // Under the Functions host the "sweep" timer trigger calls SweepOnceAsync instead.
            builder.Services.AddSelfHostedWorker<OperationSweeper>();
        }
        return builder;
    }
}
