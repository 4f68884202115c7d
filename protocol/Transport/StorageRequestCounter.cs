using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Core.Pipeline;

namespace LdFleet.Protocol.Transport;

/// <summary>
/// Counts every request the Azure Storage clients send (tables and queues, retries included: each is a billed
/// transaction), as totals for benchmarks and as the <c>ldfleet.storage.requests</c> metric.
/// </summary>
public sealed class StorageRequestCounter : HttpPipelineSynchronousPolicy, IDisposable
{
    private readonly Meter _meter = new("LdFleet.Storage");
    private readonly Counter<long> _requests;
    private long _tables;
    private long _queues;
    private long _other;

    public StorageRequestCounter() => _requests = _meter.CreateCounter<long>("ldfleet.storage.requests", description: "Azure Storage requests sent (billed transactions).");

    public long Tables => Interlocked.Read(ref _tables);

    public long Queues => Interlocked.Read(ref _queues);

    public long Total => Tables + Queues + Interlocked.Read(ref _other);

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);

        // Azurite and Azure name the service differently (port vs host name); the path tells tables from queues.
        var uri = message.Request.Uri.ToUri();
        var service = uri.Host.Contains(".table.", StringComparison.OrdinalIgnoreCase) || uri.Port == 10002 || IsTablePath(uri.AbsolutePath) ? "table"
            : uri.Host.Contains(".queue.", StringComparison.OrdinalIgnoreCase) || uri.Port == 10001 || uri.AbsolutePath.Contains("/messages", StringComparison.Ordinal) ? "queue"
            : "other";
        switch (service)
        {
            case "table": Interlocked.Increment(ref _tables); break;
            case "queue": Interlocked.Increment(ref _queues); break;
            default: Interlocked.Increment(ref _other); break;
        }

        _requests.Add(1, new KeyValuePair<string, object?>("service", service), new KeyValuePair<string, object?>("method", message.Request.Method.ToString()));
    }

    private static bool IsTablePath(string path) => path.Contains("Tables", StringComparison.Ordinal) || path.Contains("(PartitionKey", StringComparison.Ordinal) || path.EndsWith("()", StringComparison.Ordinal) || path.EndsWith("$batch", StringComparison.Ordinal);

    public void Dispose() => _meter.Dispose();
}
