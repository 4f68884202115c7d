using System.ComponentModel.DataAnnotations;

namespace LdFleet.Protocol.Transport;

/// <summary>
/// Where messages travel. Commands go on <see cref="ConnectionString"/>'s transport (Storage Queues or Azure Service Bus,
/// picked by the string's form); results, heartbeats and inventory always go on the Storage queue
/// <c>ldfleet-results</c>, so the cloud consumes them with a queue trigger in Azure and a relay needs only an add-only
/// SAS for them.
/// </summary>
public sealed class TransportOptions
{
    public const string SectionName = "Transport";

    /// <summary>
    /// The command transport. An Azure Storage connection string (<c>UseDevelopmentStorage=true</c>, or one with a
    /// QueueEndpoint or AccountName) selects Storage Queues. <c>Endpoint=sb://&lt;ns&gt;.servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…</c>
    /// selects Azure Service Bus through Azure.Messaging.ServiceBus with that SAS rule; <c>Endpoint=sb://&lt;ns&gt;.servicebus.windows.net/</c>
    /// alone uses Entra ID (DefaultAzureCredential). <c>UseDevelopmentEmulator=true</c> talks plain AMQP to the port the
    /// endpoint names (the test broker). May be empty when <see cref="QueueUrls"/> name every queue used.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The Storage account of the results queue, as a connection string. Defaults to <see cref="ConnectionString"/> when
    /// that is a Storage connection string.
    /// </summary>
    public string? ResultsConnectionString { get; set; }

    /// <summary>
    /// Instead of <see cref="ResultsConnectionString"/>: the Queue service endpoint (<c>https://&lt;account&gt;.queue.core.windows.net/</c>)
    /// reached with Entra ID (DefaultAzureCredential; in Azure the managed identity).
    /// </summary>
    public Uri? ResultsQueueServiceUri { get; set; }

    /// <summary>
    /// Queues reached through their own SAS URL instead of an account credential, by queue name: what the API issues to a
    /// relay (<c>POST /api/sites</c>, <c>.../relay-credentials</c>). A name here wins over every other setting.
    /// </summary>
    public Dictionary<string, Uri> QueueUrls { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The Service Bus SDK's retry policy and receive wait; see <see cref="ServiceBusTransportOptions"/>.</summary>
    public ServiceBusTransportOptions ServiceBus { get; set; } = new();
}

/// <summary>
/// Azure.Messaging.ServiceBus settings. The SDK retries every operation (connect, send, receive, settle, renew) with
/// exponential backoff and jitter; a processor keeps reconnecting after the retries of one attempt are spent, so a
/// Service Bus outage only delays commands.
/// </summary>
public sealed class ServiceBusTransportOptions
{
    /// <summary>Retries of one operation before it fails to the caller (the SDK's default is 3).</summary>
    [Range(0, 100, ErrorMessage = "Transport:ServiceBus:MaxRetries must be between 0 and 100.")]
    public int MaxRetries { get; set; } = 3;

    /// <summary>First retry delay; it doubles per retry up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00", ErrorMessage = "Transport:ServiceBus:RetryDelay must be between 10 ms and 1 minute.")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(800);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Transport:ServiceBus:MaxRetryDelay must be between 10 ms and 10 minutes.")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take (also the longest a receive waits on an empty queue inside the SDK).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Transport:ServiceBus:TryTimeout must be between 1 second and 10 minutes.")]
    public TimeSpan TryTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long <see cref="IMessageQueue.ReceiveAsync"/> waits for a first message before returning none.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00", ErrorMessage = "Transport:ServiceBus:ReceiveWaitTime must be between 10 ms and 1 minute.")]
    public TimeSpan ReceiveWaitTime { get; set; } = TimeSpan.FromSeconds(1);
}
