namespace LdFleet.Functions.Inventory;

internal static class InventoryServiceCollectionExtensions
{
    public static WebApplicationBuilder AddInventory(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RelaysOptions>()
            .BindConfiguration(RelaysOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<InventoryStore>();
        return builder;
    }
}
