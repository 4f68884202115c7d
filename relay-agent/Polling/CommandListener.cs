using System.Collections.Concurrent;
using System.Diagnostics;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Telemetry;
using LdFleet.Protocol.Transport;
using LdFleet.Relay.Execution;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.Reporting;
using LdFleet.Relay.Telemetry;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Polling;

/// <summary>
/// Receives commands from the site's queue, hands them to the executor, sends the result and only then
/// completes the message. It never runs ldconsole itself, so a stuck command cannot stop the loop.
/// </summary>
internal sealed partial class CommandListener : BackgroundService
{
    private readonly IMessageQueueFactory _queues;
    private readonly CommandExecutor _executor;
    private readonly CommandJournal _journal;
    private readonly RelayActivity _activity;
    private readonly RelayMetrics _metrics;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _inFlight = new(StringComparer.Ordinal);

    // Cancels that arrived before their command (prefetch, or the command still queued): the command is then
    // answered Cancelled without running. Bounded; an entry older than any plausible queue wait is useless.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _cancelledEarly = new(StringComparer.Ordinal);
    private const int MaxEarlyCancels = 10_000;
    private readonly TimeProvider _time;
    private readonly PollingOptions _options;
    private readonly string _siteId;
    private readonly ILogger<CommandListener> _logger;
    private int _receiveFailures;
    private int _queueMissingLogged;

    // Long enough for a typical command to finish, short enough that the duplicate is answered promptly.
    private static readonly TimeSpan DuplicateRetryDelay = TimeSpan.FromSeconds(2);

    // Renewals stop this long after a command's execution timeout: by then the executor has killed ldconsole.
    private static readonly TimeSpan RenewalGrace = TimeSpan.FromMinutes(1);

    public CommandListener(
        IMessageQueueFactory queues,
        CommandExecutor executor,
        CommandJournal journal,
        RelayActivity activity,
        RelayMetrics metrics,
        TimeProvider time,
        IOptions<PollingOptions> options,
        IOptions<RelayOptions> relay,
        ILogger<CommandListener> logger)
    {
        _queues = queues;
        _executor = executor;
        _journal = journal;
        _activity = activity;
        _metrics = metrics;
        _time = time;
        _options = options.Value;
        _siteId = relay.Value.SiteId;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var commands = _queues.Open(QueueNames.Commands(_siteId));
        var results = _queues.Open(QueueNames.Results);
        LogListening(_logger, _siteId, commands.Name);

        // Storage Queues: a polling loop; Service Bus: a ServiceBusProcessor. Either hands over at most MaxConcurrency
        // commands at once and retries receive failures (full-jitter backoff, or the SDK's retry policy).
        var consume = new ConsumeOptions
        {
            MaxConcurrency = _options.MaxConcurrency,
            PrefetchCount = _options.PrefetchCount,
            LockDuration = _options.LockDuration,
            MinPollInterval = _options.MinPollInterval,
            MaxPollInterval = _options.MaxPollInterval,
        };
        await commands.ConsumeAsync(consume, (message, ct) => ProcessAsync(commands, results, message, ct), ex => OnReceiveErrorAsync(commands, results, ex, stoppingToken), stoppingToken);
    }

    /// <summary>
    /// A receive failure. A queue that does not exist yet (the cloud creates it when the site is registered) is one line,
    /// once, while the relay waits for it; other failures log in full once per outage, then quietly until receiving works.
    /// </summary>
    private async Task OnReceiveErrorAsync(IMessageQueue commands, IMessageQueue results, Exception exception, CancellationToken stoppingToken)
    {
        if (exception is OperationCanceledException && stoppingToken.IsCancellationRequested)
        {
            return;
        }

        var failures = Interlocked.Increment(ref _receiveFailures);
        if (TransportErrors.IsQueueMissing(exception))
        {
            if (Interlocked.Exchange(ref _queueMissingLogged, 1) == 0)
            {
                LogQueueMissing(_logger, commands.Name, TransportErrors.Describe(exception));
            }

            // With an account credential the relay may create its own queues (locally, on Azurite); with a per-queue SAS it cannot.
            try
            {
                await commands.EnsureExistsAsync(stoppingToken);
                await results.EnsureExistsAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogEnsureFailed(_logger, commands.Name, TransportErrors.Describe(ex));
            }

            return;
        }

        if (failures == 1 || failures % 50 == 0)
        {
            LogReceiveFailed(_logger, exception, commands.Name, failures);
        }
    }

    private async Task ProcessAsync(IMessageQueue commands, IMessageQueue results, InboundMessage message, CancellationToken stoppingToken)
    {
        if (Interlocked.Exchange(ref _receiveFailures, 0) > 0 | Interlocked.Exchange(ref _queueMissingLogged, 0) == 1)
        {
            LogReconnected(_logger, commands.Name);
        }

        var command = ProtocolJson.TryDeserialize<EmulatorCommand>(message.Body, out var error);
        try
        {
            if (command is null)
            {
                LogInvalidCommand(_logger, message.MessageId, error ?? "empty");
                await commands.DeadLetterAsync(message, error ?? "The message is not a command.", stoppingToken);
                return;
            }

            if (command.Action == EmulatorActions.Cancel)
            {
                RequestCancel(command);
                await commands.CompleteAsync(message, stoppingToken);
                return;
            }

            // The consumer span continues the trace of the cloud span that sent the command; the scope puts the
            // command's ids on every log line written while it is handled here.
            using var span = FleetTelemetry.StartFromMessage("execute " + command.Action, ActivityKind.Consumer, command.TraceParent, command.TraceState);
            Tag(span, command);
            span?.SetTag(FleetTelemetry.Tags.MessagingOperation, "process");
            span?.SetTag(FleetTelemetry.Tags.MessagingDestination, commands.Name);
            using var scope = _logger.BeginScope(new Dictionary<string, object>
            {
                ["OperationId"] = command.OperationId,
                ["SiteId"] = command.SiteId,
                ["HostId"] = command.HostId,
                ["CommandId"] = command.CommandId,
            });

            // A duplicate delivered while the first copy still runs here waits for the first to finish.
            using var cancel = new CancellationTokenSource();
            if (!_inFlight.TryAdd(command.CommandId, cancel))
            {
                LogBusyDuplicate(_logger, command.CommandId);
                await commands.AbandonAsync(message, DuplicateRetryDelay, stoppingToken);
                return;
            }

            CommandResult result;
            try
            {
                if (_cancelledEarly.TryRemove(command.CommandId, out _))
                {
                    await cancel.CancelAsync();
                }

                result = await ResultForAsync(commands, results, message, command, cancel.Token, stoppingToken);
            }
            finally
            {
                _inFlight.TryRemove(command.CommandId, out _);
            }

            span?.SetTag(FleetTelemetry.Tags.Outcome, result.Outcome.ToString());
            span?.SetTag(FleetTelemetry.Tags.ExitCode, result.ExitCode);
            await SendReportAsync(results, "send result", command, result, (report, trace) => report with { TraceParent = trace.TraceParent, TraceState = trace.TraceState }, stoppingToken);
            await commands.CompleteAsync(message, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down mid-command: release the message at once so the next relay start picks it up.
            await AbandonQuietlyAsync(commands, message);
        }
        catch (Exception ex)
        {
            LogProcessFailed(_logger, ex, message.MessageId, message.DeliveryCount);
            if (message.DeliveryCount >= _options.MaxDeliveryCount)
            {
                await commands.DeadLetterAsync(message, $"Failed {message.DeliveryCount} times: {ex.Message}", CancellationToken.None);
            }
            else
            {
                await AbandonQuietlyAsync(commands, message);
            }
        }
    }

    private void RequestCancel(EmulatorCommand cancel)
    {
        // Only this site's cloud can put messages on this queue, but check the target anyway: a cancel may
        // only stop a command of the same operation.
        if (cancel.SiteId != _siteId || !cancel.Parameters.TryGetValue(CommandParameters.CommandId, out var targetId)
            || !targetId.StartsWith(cancel.OperationId + ".", StringComparison.Ordinal))
        {
            LogCancelIgnored(_logger, cancel.CommandId);
            return;
        }

        if (_inFlight.TryGetValue(targetId, out var running))
        {
            LogCancelling(_logger, targetId);
            running.Cancel();
            return;
        }

        if (_cancelledEarly.Count >= MaxEarlyCancels)
        {
            var cutoff = _time.GetUtcNow() - TimeSpan.FromHours(1);
            foreach (var (id, at) in _cancelledEarly)
            {
                if (at < cutoff)
                {
                    _cancelledEarly.TryRemove(id, out _);
                }
            }
        }

        _cancelledEarly.TryAdd(targetId, _time.GetUtcNow());
    }

    private async Task ReportStartedAsync(IMessageQueue results, EmulatorCommand command, CancellationToken stoppingToken)
    {
        try
        {
            var started = new CommandStarted
            {
                SiteId = _siteId,
                CommandId = command.CommandId,
                OperationId = command.OperationId,
                HostId = command.HostId,
                StartedAt = _time.GetUtcNow(),
            };
            await SendReportAsync(results, "send started", command, started, (report, trace) => report with { TraceParent = trace.TraceParent, TraceState = trace.TraceState }, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Only progress information: the result still tells the whole story.
            LogStartReportFailed(_logger, ex, command.CommandId);
        }
    }

    private async Task<CommandResult> ResultForAsync(
        IMessageQueue commands, IMessageQueue results, InboundMessage message, EmulatorCommand command, CancellationToken cancelToken, CancellationToken stoppingToken)
    {
        var (state, recorded) = await _journal.BeginAsync(command, stoppingToken);
        if (state == JournalState.Done && recorded is not null)
        {
            LogDuplicate(_logger, command.CommandId);
            return recorded;
        }

        if (state == JournalState.Interrupted)
        {
            LogInterrupted(_logger, command.CommandId);
        }

        if (cancelToken.IsCancellationRequested)
        {
            var cancelled = _executor.Cancelled(command, null);
            await _journal.CompleteAsync(cancelled, CancellationToken.None);
            return cancelled;
        }

        if (state != JournalState.Interrupted && EmulatorActions.ReportsStart.Contains(command.Action))
        {
            await ReportStartedAsync(results, command, stoppingToken);
        }

        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var execution = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, cancelToken);
        var renewing = RenewUntilCancelledAsync(commands, message, command.ExecutionTimeout, renewal.Token);
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        CommandResult? result = null;
        _activity.CommandStarted();
        try
        {
            result = state == JournalState.Interrupted
                ? await _executor.RecoverAsync(command, execution.Token)
                : await _executor.ExecuteAsync(command, execution.Token);
        }
        catch (OperationCanceledException) when (cancelToken.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            result = _executor.Cancelled(command, startedAt);
        }
        finally
        {
            _activity.CommandFinished(command);
            _metrics.CommandExecuted(command.Action, result?.Outcome.ToString() ?? "Interrupted", command.HostId, _time.GetElapsedTime(started));
            await renewal.CancelAsync();
            await renewing;
        }

        await _journal.CompleteAsync(result, CancellationToken.None);
        return result;
    }

    /// <summary>
    /// Sends a report under a producer span (a child of the command's consumer span), carrying that span's context
    /// so the cloud's handling of the report joins the trace.
    /// </summary>
    private static async Task SendReportAsync<TReport>(
        IMessageQueue results, string spanName, EmulatorCommand command, TReport report, Func<TReport, (string? TraceParent, string? TraceState), TReport> withTrace, CancellationToken cancellationToken)
        where TReport : RelayReport
    {
        using var span = FleetTelemetry.Source.StartActivity(spanName, ActivityKind.Producer);
        Tag(span, command);
        span?.SetTag(FleetTelemetry.Tags.MessagingOperation, "send");
        span?.SetTag(FleetTelemetry.Tags.MessagingDestination, results.Name);
        var trace = TraceContext.Capture(span ?? Activity.Current);
        await results.SendAsync(new OutboundMessage(ProtocolJson.Serialize<RelayReport>(withTrace(report, trace))) { TraceParent = trace.TraceParent }, cancellationToken);
    }

    private static void Tag(Activity? span, EmulatorCommand command)
    {
        span?.SetTag(FleetTelemetry.Tags.OperationId, command.OperationId);
        span?.SetTag(FleetTelemetry.Tags.CommandId, command.CommandId);
        span?.SetTag(FleetTelemetry.Tags.SiteId, command.SiteId);
        span?.SetTag(FleetTelemetry.Tags.HostId, command.HostId);
        span?.SetTag(FleetTelemetry.Tags.Action, command.Action);
    }

    /// <summary>
    /// Keeps the message locked while its command runs: renews at half the remaining lock (the queue's lock on Service
    /// Bus, the receiver's on Storage Queues), for at most the command's execution timeout plus a grace.
    /// </summary>
    private async Task RenewUntilCancelledAsync(IMessageQueue queue, InboundMessage message, TimeSpan executionTimeout, CancellationToken cancellationToken)
    {
        var stopAt = _time.GetUtcNow() + executionTimeout + RenewalGrace;
        try
        {
            while (_time.GetUtcNow() < stopAt)
            {
                var remaining = message.LockedUntil is { } until ? until - _time.GetUtcNow() : _options.LockDuration;
                var wait = remaining / 2;
                await Task.Delay(wait < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : wait, _time, cancellationToken);
                await queue.RenewLockAsync(message, _options.LockDuration, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Losing the lock means a possible redelivery, which the executed-command record absorbs.
            LogRenewFailed(_logger, ex, message.MessageId);
        }
    }

    private async Task AbandonQuietlyAsync(IMessageQueue queue, InboundMessage message)
    {
        try
        {
            await queue.AbandonAsync(message, TimeSpan.Zero, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The lock lapses on its own; the message comes back then.
            LogAbandonFailed(_logger, ex, message.MessageId);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Relay for site {SiteId} listening on {Queue}")]
    private static partial void LogListening(ILogger logger, string siteId, string queue);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Receiving from {Queue} failed ({Failures} in a row); retrying until it works")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception, string queue, int failures);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Receiving from {Queue} works again")]
    private static partial void LogReconnected(ILogger logger, string queue);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Warning, Message = "Queue {Queue} does not exist yet ({Reason}); waiting for it (the cloud app creates it when the site is registered)")]
    private static partial void LogQueueMissing(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Debug, Message = "Creating {Queue} from the relay failed: {Reason}")]
    private static partial void LogEnsureFailed(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Message {MessageId} is not a command ({Reason}); dead-lettered")]
    private static partial void LogInvalidCommand(ILogger logger, string messageId, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "{CommandId}: delivered again; answering from the record without running ldconsole")]
    private static partial void LogDuplicate(ILogger logger, string commandId);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "{CommandId}: delivered again while still running here; retrying later")]
    private static partial void LogBusyDuplicate(ILogger logger, string commandId);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "{CommandId}: an earlier run was interrupted; settling it from list2 without running ldconsole again")]
    private static partial void LogInterrupted(ILogger logger, string commandId);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "{CommandId}: cancel requested; stopping it")]
    private static partial void LogCancelling(ILogger logger, string commandId);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "{CommandId}: cancel request names no command of its own operation; ignored")]
    private static partial void LogCancelIgnored(ILogger logger, string commandId);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "{CommandId}: reporting the start failed; the result will follow anyway")]
    private static partial void LogStartReportFailed(ILogger logger, Exception exception, string commandId);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Error, Message = "Processing message {MessageId} failed (delivery {DeliveryCount})")]
    private static partial void LogProcessFailed(ILogger logger, Exception exception, string messageId, long deliveryCount);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Renewing the lock of message {MessageId} failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "Abandoning message {MessageId} failed")]
    private static partial void LogAbandonFailed(ILogger logger, Exception exception, string messageId);
}
