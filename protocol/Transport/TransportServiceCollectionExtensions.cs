using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LdFleet.Protocol.Transport;

public static class TransportServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IMessageQueueFactory"/> for the transport named by <c>Transport:ConnectionString</c>.</summary>
    public static IServiceCollection AddFleetTransport(this IServiceCollection services)
    {
        services.AddOptions<TransportOptions>()
            .BindConfiguration(TransportOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => TransportKinds.Detect(o.ConnectionString) != TransportKind.Unknown,
                "Transport:ConnectionString is not recognised: give an Azure Storage connection string (UseDevelopmentStorage=true, or one with AccountName/QueueEndpoint).")
            .Validate(o => TransportKinds.Detect(o.ConnectionString) != TransportKind.ServiceBus,
                "Transport:ConnectionString names Azure Service Bus, which this build does not support yet; use an Azure Storage connection string.")
            .ValidateOnStart();

        services.TryAddSingleton<IMessageQueueFactory>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TransportOptions>>().Value;
            var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
            return new StorageQueueFactory(new QueueServiceClient(options.ConnectionString, queueOptions));
        });
        return services;
    }
}

