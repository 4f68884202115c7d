using Azure.Data.Tables;
using Azure.Identity;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Storage;

internal static class StorageServiceCollectionExtensions
{
    /// <summary>Registers the Tables client and the message transport, which defaults to the same storage account.</summary>
    public static IHostApplicationBuilder AddFleetStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();

        // One storage account serves Tables and Queues unless a transport is named explicitly. Only a connection
        // string can be shared: with Entra ID the transport is named on its own (Service Bus in Azure). Results always
        // travel on a Storage queue, by default in the same account.
        builder.Services.AddOptions<TransportOptions>()
            .PostConfigure<IOptions<StorageOptions>>((transport, storage) =>
            {
                if (string.IsNullOrWhiteSpace(transport.ConnectionString))
                {
                    transport.ConnectionString = storage.Value.ConnectionString;
                }

                if (string.IsNullOrWhiteSpace(transport.ResultsConnectionString) && transport.ResultsQueueServiceUri is null && !string.IsNullOrWhiteSpace(storage.Value.ConnectionString))
                {
                    transport.ResultsConnectionString = storage.Value.ConnectionString;
                }
            });
        builder.Services.AddFleetTransport();

        builder.Services.AddSingleton<StorageRequestCounter>();
        builder.Services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var options = new TableClientOptions();
            options.AddPolicy(sp.GetRequiredService<StorageRequestCounter>().TablePolicy, Azure.Core.HttpPipelinePosition.PerRetry);
            return storage.TableServiceUri is { } endpoint
                ? new TableServiceClient(endpoint, new DefaultAzureCredential(new DefaultAzureCredentialOptions { ExcludeInteractiveBrowserCredential = true }), options)
                : new TableServiceClient(storage.ConnectionString, options);
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<StorageInitializer>();
        return builder;
    }

    /// <summary>Exactly one way to reach the tables, and a transport of its own when that way is Entra ID.</summary>
    private sealed class StorageOptionsValidator(IConfiguration configuration) : IValidateOptions<StorageOptions>
    {
        public ValidateOptionsResult Validate(string? name, StorageOptions options)
        {
            var hasConnectionString = !string.IsNullOrWhiteSpace(options.ConnectionString);
            if (hasConnectionString == options.TableServiceUri is not null)
            {
                return ValidateOptionsResult.Fail(hasConnectionString
                    ? "Storage:ConnectionString and Storage:TableServiceUri are both set; give one (the URI to use Entra ID / managed identity)."
                    : "Storage:ConnectionString is required (an Azure Storage connection string; locally the Azurite one), or set Storage:TableServiceUri instead (https://<account>.table.core.windows.net/) to use Entra ID."
                        + (configuration.GetSection("AzureWebJobsStorage").Exists()
                            ? " AzureWebJobsStorage is the Functions host's storage (its triggers and task hub); the app's tables are configured apart, as infra/modules/functionapp.bicep does with Storage__TableServiceUri."
                            : ""));
            }

            if (options.TableServiceUri is { } uri && (!uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps))
            {
                return ValidateOptionsResult.Fail("Storage:TableServiceUri must be an absolute https:// URI such as https://<account>.table.core.windows.net/.");
            }

            // Read raw: TransportOptions is post-configured from StorageOptions, so resolving it here would recurse.
            if (options.TableServiceUri is not null && string.IsNullOrWhiteSpace(configuration[TransportOptions.SectionName + ":" + nameof(TransportOptions.ConnectionString)]))
            {
                return ValidateOptionsResult.Fail("Storage:TableServiceUri uses Entra ID, so the transport cannot share a storage connection string: set Transport:ConnectionString (in Azure Endpoint=sb://<namespace>.servicebus.windows.net/) and Transport:ResultsQueueServiceUri (https://<account>.queue.core.windows.net/).");
            }

            return ValidateOptionsResult.Success;
        }
    }
}
