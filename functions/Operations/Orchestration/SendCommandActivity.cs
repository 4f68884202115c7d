using System.Collections.Concurrent;
using System.Diagnostics;
using LdFleet.Functions.Operations.Exclusivity;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Telemetry;
using LdFleet.Protocol.Transport;
using Microsoft.DurableTask;

namespace LdFleet.Functions.Operations.Orchestration;

/// <summary>
/// Puts one command on its site's queue, once the operation holds its emulator. Durable Task runs activities at least
/// once; the message id is the command id and the relay's journal answers a command it has seen from its record, so a
/// second send changes nothing.
/// </summary>
/// <remarks>
/// Taking the emulator (<see cref="EmulatorLocks"/>) happens here rather than in an activity of its own: every
/// activity costs a dozen storage requests of the task hub, and an emulator nobody else uses is the common case.
/// </remarks>
internal sealed partial class SendCommandActivity : TaskActivity<SendCommandInput, SendCommandResult>
{
    // Slack beyond the delivery deadline before the broker may drop the message; the relay answers late commands
    // as Expired, which is more useful than a silent broker expiry.
    private static readonly TimeSpan MessageTtlSlack = TimeSpan.FromMinutes(5);

    private readonly SiteCommandQueues _queues;
    private readonly EmulatorLocks _locks;
    private readonly TimeProvider _time;
    private readonly ILogger<SendCommandActivity> _logger;

    public SendCommandActivity(SiteCommandQueues queues, EmulatorLocks locks, TimeProvider time, ILogger<SendCommandActivity> logger)
    {
        _queues = queues;
        _locks = locks;
        _time = time;
        _logger = logger;
    }

    public override async Task<SendCommandResult> RunAsync(TaskActivityContext context, SendCommandInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var command = input.Command;
        using var scope = _logger.BeginScope(new Dictionary<string, object>
        {
            ["OperationId"] = command.OperationId,
            ["SiteId"] = command.SiteId,
            ["HostId"] = command.HostId,
            ["CommandId"] = command.CommandId,
        });
        if (input.Lock is { } emulator)
        {
            var grant = await _locks.AcquireAsync(emulator, command.OperationId, CancellationToken.None);
            if (!grant.Granted)
            {
                LogQueued(_logger, command.OperationId, emulator.Index, grant.Behind);
                return new SendCommandResult(grant.Behind, grant.Recheck);
            }
        }

        using var span = StartSendSpan(input);
        try
        {
            var queue = await _queues.GetAsync(command.SiteId, CancellationToken.None);
            var ttl = command.DeliverBy - _time.GetUtcNow() + MessageTtlSlack;

            // The command carries the send span's context: the relay's span becomes its child.
            var (traceParent, traceState) = TraceContext.Capture(span);
            var body = ProtocolJson.Serialize(command with { TraceParent = traceParent ?? input.TraceParent, TraceState = traceState ?? input.TraceState });
            await queue.SendAsync(
                new OutboundMessage(body) { TimeToLive = ttl > TimeSpan.Zero ? ttl : MessageTtlSlack, MessageId = command.CommandId, TraceParent = traceParent },
                CancellationToken.None);
            LogSent(_logger, command.OperationId, command.CommandId, command.Action);
            return SendCommandResult.Sent;
        }
        catch (Exception ex)
        {
            // Durable Task retries the activity (see ActivityRetry.Send) until the command can no longer be delivered.
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            LogSendFailed(_logger, ex, command.OperationId, command.CommandId);
            throw;
        }
    }

    /// <summary>The producer span of a command send, in the trace of the request that started the operation.</summary>
    private static Activity? StartSendSpan(SendCommandInput input)
    {
        var command = input.Command;
        var span = TraceContext.TryParse(input.TraceParent, input.TraceState, out var stored) && Activity.Current?.TraceId != stored.TraceId
            ? FleetTelemetry.Source.StartActivity("send " + command.Action, ActivityKind.Producer, stored)
            : FleetTelemetry.Source.StartActivity("send " + command.Action, ActivityKind.Producer);
        span?.SetTag(FleetTelemetry.Tags.OperationId, command.OperationId);
        span?.SetTag(FleetTelemetry.Tags.SiteId, command.SiteId);
        span?.SetTag(FleetTelemetry.Tags.HostId, command.HostId);
        span?.SetTag(FleetTelemetry.Tags.CommandId, command.CommandId);
        span?.SetTag(FleetTelemetry.Tags.Action, command.Action);
        span?.SetTag(FleetTelemetry.Tags.MessagingOperation, "send");
        span?.SetTag(FleetTelemetry.Tags.MessagingDestination, QueueNames.Commands(command.SiteId));
        return span;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "{OperationId}: sent {CommandId} ({Action})")]
    private static partial void LogSent(ILogger logger, string operationId, string commandId, string action);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "{OperationId}: emulator {Index} is busy with {WaitingFor}; waiting for its turn")]
    private static partial void LogQueued(ILogger logger, string operationId, int index, string? waitingFor);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "{OperationId}: sending {CommandId} failed; Durable Task retries it")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string operationId, string commandId);
}

/// <summary>The command queue of each site, created on first use per process.</summary>
internal sealed class SiteCommandQueues
{
    private readonly IMessageQueueFactory _factory;
    private readonly ConcurrentDictionary<string, Lazy<Task<IMessageQueue>>> _queues = new(StringComparer.Ordinal);

    public SiteCommandQueues(IMessageQueueFactory factory) => _factory = factory;

    public async Task<IMessageQueue> GetAsync(string siteId, CancellationToken cancellationToken)
    {
        // Creation is idempotent, so a race only costs a call; a failed creation is not cached.
        var lazy = _queues.GetOrAdd(siteId, id => new Lazy<Task<IMessageQueue>>(async () =>
        {
            var queue = _factory.Open(QueueNames.Commands(id));
            await queue.EnsureExistsAsync(CancellationToken.None);
            return queue;
        }));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            _queues.TryRemove(new KeyValuePair<string, Lazy<Task<IMessageQueue>>>(siteId, lazy));
            throw;
        }
    }
}
