using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LdFleet.Protocol.Telemetry;

/// <summary>A queue whose depth <see cref="QueueDepthSampler"/> reports.</summary>
public sealed record QueueDepthTarget(string QueueName);

/// <summary>
/// The <c>ldfleet.queue.depth</c> gauge: the broker's approximate message count of each target queue, read at
/// <see cref="TelemetryOptions.QueueDepthInterval"/> (one request per queue and interval) rather than at every
/// collection, so an exporter's schedule never drives storage costs. Transports that cannot count without management rights (Service Bus) report nothing.
/// </summary>
internal sealed partial class QueueDepthSampler : BackgroundService
{
    private readonly IMessageQueueFactory _queues;
    private readonly IReadOnlyList<QueueDepthTarget> _targets;
    private readonly TelemetryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<QueueDepthSampler> _logger;
    private readonly ConcurrentDictionary<string, long> _depths = new(StringComparer.Ordinal);

    public QueueDepthSampler(
        IMessageQueueFactory queues,
        IEnumerable<QueueDepthTarget> targets,
        IOptions<TelemetryOptions> options,
        TimeProvider time,
        IMeterFactory meters,
        ILogger<QueueDepthSampler> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        _queues = queues;
        _targets = [.. targets.DistinctBy(t => t.QueueName)];
        _options = options.Value;
        _time = time;
        _logger = logger;
        meters.Create(FleetTelemetry.Name).CreateObservableGauge(
            "ldfleet.queue.depth",
            () => _depths.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>(FleetTelemetry.Tags.MessagingDestination, d.Key))),
            unit: "{message}",
            description: "Approximate number of messages waiting in the queue, as last sampled.");
    }

    /// <summary>Reads every target's depth once.</summary>
    internal async Task SampleAsync(CancellationToken cancellationToken)
    {
        foreach (var target in _targets)
        {
            try
            {
                if (await _queues.Open(target.QueueName).GetApproximateDepthAsync(cancellationToken) is { } depth)
                {
                    _depths[target.QueueName] = depth;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A missed sample only leaves the last value in place; the next interval tries again.
                _depths.TryRemove(target.QueueName, out _);
                LogSampleFailed(_logger, ex, target.QueueName);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.QueueDepthInterval <= TimeSpan.Zero || _targets.Count == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.QueueDepthInterval, _time);
        try
        {
            do
            {
                await SampleAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Debug, Message = "Reading the depth of queue {Queue} failed")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception, string queue);
}
