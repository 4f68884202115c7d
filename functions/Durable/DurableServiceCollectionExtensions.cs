using System.Text.Json;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using LdFleet.Functions.Durable.SelfHosted;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Transport;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Durable;

internal static class DurableServiceCollectionExtensions
{
    /// <summary>
    /// Payload serializer of orchestration inputs, outputs, events and custom status. It matches the Functions worker's
    /// default (System.Text.Json, property names as declared, read case-insensitively), so the same records travel the
    /// same way in both hostings.
    /// </summary>
    public static DataConverter Converter { get; } = new JsonDataConverter(new JsonSerializerOptions { PropertyNameCaseInsensitive = true });

    /// <summary>
    /// The self-hosted Durable Task backend: the Azure Storage provider over <c>Storage:*</c> with <c>Durable:*</c>
    /// tuning, the app's orchestrators and activities on a <see cref="TaskHubWorker"/> in this process, and a
    /// <see cref="DurableTaskClient"/> over the same hub for the API.
    /// </summary>
    public static IHostApplicationBuilder AddSelfHostedDurableTask(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DurableOptions>()
            .BindConfiguration(DurableOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddSingleton(sp => new AzureStorageOrchestrationService(CreateSettings(sp)));
        services.AddSingleton(sp => new DurableTaskShimFactory(new DurableTaskWorkerOptions { DataConverter = Converter }, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<DurableTaskClient>(sp => new StorageDurableTaskClient(
            sp.GetRequiredService<IOptions<DurableOptions>>().Value.TaskHub,
            sp.GetRequiredService<AzureStorageOrchestrationService>(),
            Converter,
            sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<TaskHubWorkerService>();
        return builder;
    }

    private static AzureStorageOrchestrationServiceSettings CreateSettings(IServiceProvider sp)
    {
        var durable = sp.GetRequiredService<IOptions<DurableOptions>>().Value;
        var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
        var counter = sp.GetRequiredService<StorageRequestCounter>();

        // Every request of the backend is counted with the app's own: the bench reports storage cost per operation.
        var blobOptions = new BlobClientOptions();
        blobOptions.AddPolicy(counter.BlobPolicy, Azure.Core.HttpPipelinePosition.PerRetry);
        var queueOptions = new QueueClientOptions();
        queueOptions.AddPolicy(counter.QueuePolicy, Azure.Core.HttpPipelinePosition.PerRetry);
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(counter.TablePolicy, Azure.Core.HttpPipelinePosition.PerRetry);

        StorageAccountClientProvider account;
        if (storage.TableServiceUri is { } tableUri)
        {
            // Entra ID: the blob and queue endpoints of the same account, as Azure names them.
            var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions { ExcludeInteractiveBrowserCredential = true });
            account = new StorageAccountClientProvider(
                StorageServiceClientProvider.ForBlob(SiblingEndpoint(tableUri, "blob"), credential, blobOptions),
                StorageServiceClientProvider.ForQueue(SiblingEndpoint(tableUri, "queue"), credential, queueOptions),
                StorageServiceClientProvider.ForTable(tableUri, credential, tableOptions));
        }
        else
        {
            account = new StorageAccountClientProvider(
                StorageServiceClientProvider.ForBlob(storage.ConnectionString, blobOptions),
                StorageServiceClientProvider.ForQueue(storage.ConnectionString, queueOptions),
                StorageServiceClientProvider.ForTable(storage.ConnectionString, tableOptions));
        }

        return new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = durable.TaskHub,
            StorageAccountClientProvider = account,
            PartitionCount = durable.PartitionCount,
            MaxQueuePollingInterval = durable.MaxQueuePollingInterval,
            ControlQueueVisibilityTimeout = durable.WorkItemVisibilityTimeout,
            WorkItemQueueVisibilityTimeout = durable.WorkItemVisibilityTimeout,
            ExtendedSessionsEnabled = durable.ExtendedSessions,
            ExtendedSessionIdleTimeout = durable.ExtendedSessionIdleTimeout,
            MaxConcurrentTaskActivityWorkItems = durable.MaxConcurrentActivities,
            MaxConcurrentTaskOrchestrationWorkItems = durable.MaxConcurrentOrchestrations,
            UseTablePartitionManagement = durable.UseTablePartitionManagement,
            LeaseInterval = durable.PartitionLeaseInterval,
            LeaseRenewInterval = durable.PartitionLeaseInterval / 3,

            // Workers tell each other apart by this id when they share out the control queues: two processes on one
            // machine (or a restart) must not pass for one worker, which the machine name alone would make them.
            WorkerId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}",
            LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
        };
    }

    private static Uri SiblingEndpoint(Uri tableUri, string service)
    {
        var host = tableUri.Host;
        var dot = host.IndexOf(".table.", StringComparison.OrdinalIgnoreCase);
        if (dot < 0)
        {
            throw new InvalidOperationException($"Storage:TableServiceUri '{tableUri}' is not of the form https://<account>.table.<suffix>/, so the blob and queue endpoints the Durable Task backend needs cannot be derived.");
        }

        return new UriBuilder(tableUri) { Host = $"{host[..dot]}.{service}.{host[(dot + 7)..]}" }.Uri;
    }
}
