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
        return builder;
    }
}
