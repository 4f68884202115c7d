using System.Collections.Concurrent;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Operations;

/// <summary>
/// Drives operations: records state first (with the command in the outbox), then sends, then records the send.
/// </summary>
internal sealed partial class OperationService
{
    // Slack beyond the delivery deadline before the broker may drop the message; the relay answers
    // late commands as Expired, which is more useful than a silent broker expiry.
    private static readonly TimeSpan MessageTtlSlack = TimeSpan.FromMinutes(5);

    private readonly OperationStore _store;
    private readonly IMessageQueueFactory _queues;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<OperationsOptions> _options;
    private readonly ILogger<OperationService> _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<IMessageQueue>>> _siteQueues = new(StringComparer.Ordinal);

    public OperationService(OperationStore store, IMessageQueueFactory queues, TimeProvider time, IOptionsMonitor<OperationsOptions> options, ILogger<OperationService> logger)
    {
        _store = store;
        _queues = queues;
        _time = time;
        _options = options;
        _logger = logger;
    }

    public async Task<Operation> StartAsync(StartEmulatorAction request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = _time.GetUtcNow();
        var operationId = Guid.CreateVersion7(now).ToString("N");
        var (operation, command) = OperationDecider.Start(request, operationId, now, _options.CurrentValue);

        await _store.CreateAsync(operation, cancellationToken);
        LogCreated(_logger, operation.Id, operation.Action, operation.SiteId, operation.HostId, operation.Index);
        return await SendAsync(operation, command, cancellationToken);
    }

    /// <summary>
    /// Sends a command still sitting in an operation's outbox (the process died, or the broker failed, between
    /// recording and sending). Sending twice is harmless: the command id is the same and the relay dedups.
    /// </summary>
    public async Task<bool> RedriveAsync(string operationId, CancellationToken cancellationToken)
    {
        var operation = await _store.GetAsync(operationId, cancellationToken);
        if (operation?.PendingCommand is not { } command || operation.Status.IsTerminal() || operation.SendAt > _time.GetUtcNow())
        {
            return false;
        }

        LogRedriving(_logger, operation.Id, command.CommandId);
        await SendAsync(operation, command, cancellationToken);
        return true;
    }

    /// <summary>Times the operation out if its answer deadline has passed.</summary>
    public async Task<bool> CheckDeadlineAsync(string operationId, CancellationToken cancellationToken)
    {
        var (outcome, operation) = await _store.ApplyAsync(operationId, op => OperationDecider.Decide(op, new DeadlineCheck(_time.GetUtcNow())), cancellationToken);
        if (outcome == ApplyOutcome.Applied)
        {
            LogTimedOut(_logger, operationId, operation!.AnswerBy);
        }

        return outcome == ApplyOutcome.Applied;
    }

    private async Task<Operation> SendAsync(Operation operation, EmulatorCommand command, CancellationToken cancellationToken)
    {
        var queue = await SiteQueueAsync(operation.SiteId, cancellationToken);
        var ttl = command.DeliverBy - _time.GetUtcNow() + MessageTtlSlack;
        await queue.SendAsync(new OutboundMessage(ProtocolJson.Serialize(command)) { TimeToLive = ttl > TimeSpan.Zero ? ttl : MessageTtlSlack, MessageId = command.CommandId }, cancellationToken);

        var (_, sent) = await _store.ApplyAsync(operation.Id, op => OperationDecider.Decide(op, new CommandSent(command.CommandId, _time.GetUtcNow())), cancellationToken);
        LogDispatched(_logger, operation.Id, command.CommandId, queue.Name);
        return sent ?? operation;
    }

    public Task<Operation?> GetAsync(string operationId, CancellationToken cancellationToken) => _store.GetAsync(operationId, cancellationToken);

    private Task<IMessageQueue> SiteQueueAsync(string siteId, CancellationToken cancellationToken)
    {
        // Queues are created on first use per site and process; creation is idempotent, so a race only costs a call.
        var lazy = _siteQueues.GetOrAdd(siteId, id => new Lazy<Task<IMessageQueue>>(async () =>
        {
            var queue = _queues.Open(QueueNames.Commands(id));
            await queue.EnsureExistsAsync(CancellationToken.None);
            return queue;
        }));
        return WaitAsync(siteId, lazy, cancellationToken);
    }

    private async Task<IMessageQueue> WaitAsync(string siteId, Lazy<Task<IMessageQueue>> lazy, CancellationToken cancellationToken)
    {
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            // Do not cache a failed creation: the next request tries again.
            _siteQueues.TryRemove(new KeyValuePair<string, Lazy<Task<IMessageQueue>>>(siteId, lazy));
            throw;
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "{OperationId}: created {Action} for site {SiteId} host {HostId} emulator {Index}")]
    private static partial void LogCreated(ILogger logger, string operationId, string action, string siteId, string hostId, int index);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "{OperationId}: command {CommandId} was never confirmed sent; sending it again")]
    private static partial void LogRedriving(ILogger logger, string operationId, string commandId);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "{OperationId}: no answer by {AnswerBy}; timed out")]
    private static partial void LogTimedOut(ILogger logger, string operationId, DateTimeOffset answerBy);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "{OperationId}: command {CommandId} sent to {Queue}")]
    private static partial void LogDispatched(ILogger logger, string operationId, string commandId, string queue);
}
