using System.Diagnostics.Metrics;
using LdFleet.Protocol.Telemetry;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LdFleet.Protocol.Tests.Telemetry;

public sealed class QueueDepthSamplerTests
{
    [Fact]
    public async Task Gauge_ReportsTheLastSampledDepthPerQueue_AndNothingForTransportsThatCannotCount()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var queues = new CountingQueues(new Dictionary<string, long?> { ["ldfleet-results"] = 7, ["servicebus-queue"] = null });
        var sampler = new QueueDepthSampler(
            queues, [new QueueDepthTarget("ldfleet-results"), new QueueDepthTarget("servicebus-queue")], Options.Create(new TelemetryOptions()),
            TimeProvider.System, meters, NullLogger<QueueDepthSampler>.Instance);

        await sampler.SampleAsync(CancellationToken.None);
        var measured = Observe(meters);

        Assert.Equal([("ldfleet-results", 7L)], measured);
        Assert.Equal(2, queues.Requests);
    }

    private static List<(string Queue, long Depth)> Observe(IMeterFactory meters)
    {
        var measured = new List<(string, long)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "ldfleet.queue.depth")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => measured.Add(((string)tags.ToArray().Single(t => t.Key == FleetTelemetry.Tags.MessagingDestination).Value!, value)));
        listener.Start();
        listener.RecordObservableInstruments();
        return measured;
    }

    /// <summary>Answers depth requests from a table; null plays a transport that cannot count.</summary>
    private sealed class CountingQueues(Dictionary<string, long?> depths) : IMessageQueueFactory
    {
        public int Requests { get; private set; }

        private long? DepthOf(string name) => depths[name];

        public IMessageQueue Open(string name) => new Queue(this, name);

        public IMessageQueue OpenDeadLetter(string name) => throw new NotSupportedException();

        private sealed class Queue(CountingQueues owner, string name) : IMessageQueue
        {
            public string Name => name;

            public Task<long?> GetApproximateDepthAsync(CancellationToken cancellationToken)
            {
                owner.Requests++;
                return Task.FromResult(owner.DepthOf(name));
            }

            public Task EnsureExistsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

            public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken) => throw new NotSupportedException();

            public Task SendBatchAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken cancellationToken) => throw new NotSupportedException();

            public Task<IReadOnlyList<InboundMessage>> ReceiveAsync(int maxMessages, TimeSpan lockDuration, CancellationToken cancellationToken) => throw new NotSupportedException();

            public Task CompleteAsync(InboundMessage message, CancellationToken cancellationToken) => throw new NotSupportedException();

            public Task AbandonAsync(InboundMessage message, TimeSpan delay, CancellationToken cancellationToken) => throw new NotSupportedException();

            public Task DeadLetterAsync(InboundMessage message, string reason, CancellationToken cancellationToken) => throw new NotSupportedException();

            public Task RenewLockAsync(InboundMessage message, TimeSpan lockDuration, CancellationToken cancellationToken) => throw new NotSupportedException();
        }
    }
}
