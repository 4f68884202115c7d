namespace LdFleet.Functions.Inventory;

internal static class InventoryServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddInventory(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RelaysOptions>()
            .BindConfiguration(RelaysOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<InventoryStore>();
        return builder;
    }
}
