using Azure.Core;
using Azure.Identity;
using Azure.Storage.Queues;
using LdFleet.Protocol.Sites;

namespace LdFleet.Protocol.Transport;

/// <summary>
/// The factory both sides use: a queue with a SAS URL in <see cref="TransportOptions.QueueUrls"/> is reached through it;
/// the results queue (and its poison queue) always on Storage Queues; every other queue, the site command queues, on
/// the configured command transport (Storage Queues or Service Bus).
/// </summary>
internal sealed class FleetQueueFactory : IMessageQueueFactory, IAsyncDisposable, IDisposable
{
    private readonly IMessageQueueFactory? _commands;
    private readonly IMessageQueueFactory? _results;
    private readonly IReadOnlyDictionary<string, Uri> _urls;
    private readonly QueueClientOptions _queueOptions;

    public FleetQueueFactory(IMessageQueueFactory? commands, IMessageQueueFactory? results, IReadOnlyDictionary<string, Uri> urls, QueueClientOptions queueOptions)
    {
        _commands = commands;
        _results = results;
        _urls = urls;
        _queueOptions = queueOptions;
    }

    public IMessageQueue Open(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_urls.TryGetValue(name, out var url))
        {
            var poison = _urls.TryGetValue(name + StorageQueueFactory.PoisonSuffix, out var poisonUrl) ? new QueueClient(poisonUrl, _queueOptions) : null;
            return new StorageMessageQueue(new QueueClient(url, _queueOptions), poison, canCreate: false);
        }

        return FactoryFor(name).Open(name);
    }

    public IMessageQueue OpenDeadLetter(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _urls.ContainsKey(name) ? Open(name + StorageQueueFactory.PoisonSuffix) : FactoryFor(name).OpenDeadLetter(name);
    }

    public async ValueTask DisposeAsync()
    {
        if (_commands is IAsyncDisposable commands)
        {
            await commands.DisposeAsync();
        }
    }

    // A host that fails to start disposes its services synchronously; a container holding an IAsyncDisposable-only
    // singleton would then throw instead of reporting why the start failed.
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private IMessageQueueFactory FactoryFor(string name)
    {
        var isResults = name.StartsWith(QueueNames.Results, StringComparison.Ordinal);
        return (isResults ? _results : _commands) ?? throw new InvalidOperationException(isResults
            ? $"No credential for the results queue '{QueueNames.Results}': set Transport:ResultsConnectionString, Transport:ResultsQueueServiceUri or Transport:QueueUrls:{QueueNames.Results}."
            : $"No credential for queue '{name}': set Transport:ConnectionString or Transport:QueueUrls:{name}.");
    }

    /// <summary>The Storage Queues factory for the results queue, from the options; null when none is configured.</summary>
    internal static StorageQueueFactory? ResultsFactory(TransportOptions options, QueueClientOptions queueOptions)
    {
        if (!string.IsNullOrWhiteSpace(options.ResultsConnectionString))
        {
            return new StorageQueueFactory(new QueueServiceClient(options.ResultsConnectionString, queueOptions));
        }

        if (options.ResultsQueueServiceUri is { } uri)
        {
            TokenCredential credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions { ExcludeInteractiveBrowserCredential = true });
            return new StorageQueueFactory(new QueueServiceClient(uri, credential, queueOptions));
        }

        return TransportKinds.Detect(options.ConnectionString) == TransportKind.StorageQueues
            ? new StorageQueueFactory(new QueueServiceClient(options.ConnectionString, queueOptions))
            : null;
    }
}
