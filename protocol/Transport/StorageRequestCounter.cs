using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Core.Pipeline;

namespace LdFleet.Protocol.Transport;

/// <summary>
/// Counts every request the Azure Storage clients send (tables, queues and blobs, retries included: each is a billed
/// transaction), as totals for benchmarks and as the <c>ldfleet.storage.requests</c> metric.
/// </summary>
public sealed class StorageRequestCounter : IDisposable
{
    /// <summary>The meter's name, for the metrics pipeline.</summary>
    public const string MeterName = "LdFleet.Storage";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _requests;
    private long _tables;
    private long _queues;
    private long _blobs;
    private long _queueSends;
    private long _queueDeletes;

    public StorageRequestCounter()
    {
        _requests = _meter.CreateCounter<long>("ldfleet.storage.requests", description: "Azure Storage requests sent (billed transactions).");
        TablePolicy = new Policy(this, "table");
        QueuePolicy = new Policy(this, "queue");
        BlobPolicy = new Policy(this, "blob");
    }

    /// <summary>Add to the Tables client's options (per retry: every attempt is a transaction).</summary>
    public HttpPipelinePolicy TablePolicy { get; }

    /// <summary>Add to the Queues client's options.</summary>
    public HttpPipelinePolicy QueuePolicy { get; }

    /// <summary>Add to the Blobs client's options (the Durable Task backend keeps leases and large payloads there).</summary>
    public HttpPipelinePolicy BlobPolicy { get; }

    public long Tables => Interlocked.Read(ref _tables);

    public long Queues => Interlocked.Read(ref _queues);

    public long Blobs => Interlocked.Read(ref _blobs);

    public long Total => Tables + Queues + Blobs;

    /// <summary>Queue messages sent (POST .../messages); with <see cref="QueueDeletes"/> the messages an operation costs.</summary>
    public long QueueSends => Interlocked.Read(ref _queueSends);

    /// <summary>Queue messages settled (DELETE .../messages/{id}): each message received and handled is deleted once.</summary>
    public long QueueDeletes => Interlocked.Read(ref _queueDeletes);

    public void Dispose() => _meter.Dispose();

    private void Count(string service, HttpMessage message)
    {
        switch (service)
        {
            case "table":
                Interlocked.Increment(ref _tables);
                break;
            case "queue":
                Interlocked.Increment(ref _queues);
                break;
            default:
                Interlocked.Increment(ref _blobs);
                break;
        }

        if (service == "queue" && message.Request.Uri.Path.Contains("/messages", StringComparison.Ordinal))
        {
            if (message.Request.Method == RequestMethod.Post)
            {
                Interlocked.Increment(ref _queueSends);
            }
            else if (message.Request.Method == RequestMethod.Delete)
            {
                Interlocked.Increment(ref _queueDeletes);
            }
        }

        _requests.Add(1, new KeyValuePair<string, object?>("service", service), new KeyValuePair<string, object?>("method", message.Request.Method.ToString()));
    }

    private sealed class Policy(StorageRequestCounter owner, string service) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            ArgumentNullException.ThrowIfNull(message);
            owner.Count(service, message);
        }
    }
}
