using Azure.Storage.Queues;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LdFleet.Protocol.Transport;

public static class TransportServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IMessageQueueFactory"/>: site command queues on the transport <c>Transport:ConnectionString</c>
    /// names (Storage Queues, or Service Bus through Azure.Messaging.ServiceBus with a SAS rule or Entra ID), the results
    /// queue on Storage Queues, and any queue listed in <c>Transport:QueueUrls</c> through its own SAS URL.
    /// </summary>
    public static IServiceCollection AddFleetTransport(this IServiceCollection services)
    {
        services.AddOptions<TransportOptions>()
            .BindConfiguration(TransportOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TransportOptions>, TransportOptionsValidator>());

        services.TryAddSingleton<IMessageQueueFactory>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TransportOptions>>().Value;
            var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
            if (sp.GetService<StorageRequestCounter>() is { } counter)
            {
                queueOptions.AddPolicy(counter.QueuePolicy, Azure.Core.HttpPipelinePosition.PerRetry);
            }

            IMessageQueueFactory? commands = TransportKinds.Detect(options.ConnectionString) switch
            {
                TransportKind.StorageQueues => new StorageQueueFactory(new QueueServiceClient(options.ConnectionString, queueOptions)),
                TransportKind.ServiceBus when ServiceBusConnection.TryParse(options.ConnectionString, out var connection, out _) =>
                    new ServiceBusQueueFactory(connection.CreateClient(options.ServiceBus), options.ServiceBus),
                _ => null,
            };
            return new FleetQueueFactory(commands, FleetQueueFactory.ResultsFactory(options, queueOptions), options.QueueUrls, queueOptions);
        });
        return services;
    }

    /// <summary>Checks at start-up that commands and results each have a way to travel, and that strings parse in full.</summary>
    private sealed class TransportOptionsValidator : IValidateOptions<TransportOptions>
    {
        public ValidateOptionsResult Validate(string? name, TransportOptions options)
        {
            var failures = new List<string>();
            var kind = TransportKinds.Detect(options.ConnectionString);
            if (!string.IsNullOrWhiteSpace(options.ConnectionString) && kind == TransportKind.Unknown)
            {
                failures.Add("Transport:ConnectionString is not recognised: give an Azure Storage connection string (UseDevelopmentStorage=true, or one with AccountName/QueueEndpoint) "
                    + "or a Service Bus connection string (Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=...;SharedAccessKey=..., or the Endpoint alone for Entra ID).");
            }

            if (kind == TransportKind.ServiceBus && !ServiceBusConnection.TryParse(options.ConnectionString, out _, out var error))
            {
                failures.Add(error);
            }

            if (string.IsNullOrWhiteSpace(options.ConnectionString) && options.QueueUrls.Count == 0)
            {
                failures.Add("Transport:ConnectionString is required (an Azure Storage or Service Bus connection string), unless Transport:QueueUrls gives each queue's SAS URL.");
            }

            if (!string.IsNullOrWhiteSpace(options.ResultsConnectionString) && TransportKinds.Detect(options.ResultsConnectionString) != TransportKind.StorageQueues)
            {
                failures.Add("Transport:ResultsConnectionString must be an Azure Storage connection string: results always travel on the Storage queue " + QueueNames.Results + ".");
            }

            if (options.ResultsQueueServiceUri is { } uri && (!uri.IsAbsoluteUri || uri.Scheme is not ("https" or "http")))
            {
                failures.Add("Transport:ResultsQueueServiceUri must be an absolute URI such as https://<account>.queue.core.windows.net/.");
            }

            if (kind == TransportKind.ServiceBus && string.IsNullOrWhiteSpace(options.ResultsConnectionString) && options.ResultsQueueServiceUri is null && !options.QueueUrls.ContainsKey(QueueNames.Results))
            {
                failures.Add($"With Service Bus commands, results still travel on the Storage queue {QueueNames.Results}: set Transport:ResultsConnectionString (a Storage connection string), "
                    + $"Transport:ResultsQueueServiceUri (Entra ID) or Transport:QueueUrls:{QueueNames.Results} (the relay's add-only SAS URL).");
            }

            foreach (var (queue, url) in options.QueueUrls)
            {
                if (!url.IsAbsoluteUri || url.Scheme is not ("https" or "http") || !url.Query.Contains("sig=", StringComparison.Ordinal))
                {
                    failures.Add($"Transport:QueueUrls:{queue} must be the queue's SAS URL as the API issued it (https://.../{queue}?...&sig=...).");
                }
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
