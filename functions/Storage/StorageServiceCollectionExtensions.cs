using Azure.Data.Tables;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Storage;

internal static class StorageServiceCollectionExtensions
{
    /// <summary>Registers the Tables client and the message transport, which defaults to the same storage account.</summary>
    public static WebApplicationBuilder AddFleetStorage(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // One storage account serves Tables and Queues unless a transport is named explicitly.
        builder.Services.AddOptions<TransportOptions>()
            .PostConfigure<IOptions<StorageOptions>>((transport, storage) =>
            {
                if (string.IsNullOrWhiteSpace(transport.ConnectionString))
                {
                    transport.ConnectionString = storage.Value.ConnectionString;
                }
            });
        builder.Services.AddFleetTransport();

        builder.Services.AddSingleton<StorageRequestCounter>();
        builder.Services.AddSingleton(sp =>
        {
            var options = new TableClientOptions();
            options.AddPolicy(sp.GetRequiredService<StorageRequestCounter>().TablePolicy, Azure.Core.HttpPipelinePosition.PerRetry);
            return new TableServiceClient(sp.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString, options);
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<StorageInitializer>();
        return builder;
    }
}
