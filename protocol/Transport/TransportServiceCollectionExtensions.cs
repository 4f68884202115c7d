using Azure.Storage.Queues;
using LdFleet.Protocol.Transport.Amqp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LdFleet.Protocol.Transport;

public static class TransportServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IMessageQueueFactory"/> for the transport named by <c>Transport:ConnectionString</c>:
    /// Storage Queues, Service Bus (AMQP 1.0) or a plain AMQP 1.0 broker. For Service Bus with Entra ID give only the
    /// endpoint: tokens come from Azure.Identity's DefaultAzureCredential (managed identity in Azure) unless another
    /// <see cref="IServiceBusTokenProvider"/> is registered.
    /// </summary>
    public static IServiceCollection AddFleetTransport(this IServiceCollection services)
    {
        services.AddOptions<AmqpTransportOptions>()
            .BindConfiguration(AmqpTransportOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddOptions<TransportOptions>()
            .BindConfiguration(TransportOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.ConnectionString) || TransportKinds.Detect(o.ConnectionString) != TransportKind.Unknown,
                "Transport:ConnectionString is not recognised: give an Azure Storage connection string (UseDevelopmentStorage=true, or one with AccountName/QueueEndpoint), "
                + "a Service Bus connection string (Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=...;SharedAccessKey=...), "
                + "or amqp://user:password@host:port for a plain AMQP 1.0 broker.")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TransportOptions>, AmqpConnectionValidation>());

        services.TryAddSingleton<IMessageQueueFactory>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TransportOptions>>().Value;
            if (TransportKinds.Detect(options.ConnectionString) == TransportKind.StorageQueues)
            {
                var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
                if (sp.GetService<StorageRequestCounter>() is { } counter)
                {
                    queueOptions.AddPolicy(counter.QueuePolicy, Azure.Core.HttpPipelinePosition.PerRetry);
                }

                return new StorageQueueFactory(new QueueServiceClient(options.ConnectionString, queueOptions));
            }

            return AmqpTransport.CreateFactory(
                options.ConnectionString,
                sp.GetRequiredService<IOptions<AmqpTransportOptions>>().Value,
                sp.GetService<IServiceBusTokenProvider>(),
                sp.GetService<TimeProvider>() ?? TimeProvider.System,
                sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance);
        });
        return services;
    }

    /// <summary>Checks AMQP and Service Bus connection strings in full at startup.</summary>
    private sealed class AmqpConnectionValidation : IValidateOptions<TransportOptions>
    {
        public ValidateOptionsResult Validate(string? name, TransportOptions options)
        {
            if (TransportKinds.Detect(options.ConnectionString) is not (TransportKind.ServiceBus or TransportKind.Amqp))
            {
                return ValidateOptionsResult.Skip;
            }

            var error = AmqpTransport.Validate(options.ConnectionString);
            return error is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error);
        }
    }
}
