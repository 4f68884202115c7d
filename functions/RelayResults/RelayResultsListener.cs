using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.RelayResults;

/// <summary>
/// Self-hosted mode's consumer of the results queue. A report is completed only after it was applied (or is
/// known to be useless), so a crash in between means a redelivery, which the handler absorbs.
/// </summary>
internal sealed partial class RelayResultsListener : BackgroundService
{
    private readonly IMessageQueueFactory _queues;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly RelayResultsOptions _options;
    private readonly ILogger<RelayResultsListener> _logger;

    public RelayResultsListener(IMessageQueueFactory queues, IServiceScopeFactory scopes, TimeProvider time, IOptions<RelayResultsOptions> options, ILogger<RelayResultsListener> logger)
    {
        _queues = queues;
        _scopes = scopes;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = _queues.Open(QueueNames.Results);
        var idle = _options.MinPollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var messages = await queue.ReceiveAsync(_options.BatchSize, _options.LockDuration, stoppingToken);
                await Task.WhenAll(messages.Select(m => HandleAsync(queue, m, stoppingToken)));

                // Back off exponentially while idle; snap back as soon as work arrives.
                idle = messages.Count > 0 ? _options.MinPollInterval : TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, _options.MaxPollInterval.Ticks));
                if (messages.Count == _options.BatchSize || (messages.Count > 0 && queue.ReceiveWaits))
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogReceiveFailed(_logger, ex);
                idle = _options.MaxPollInterval;
            }

            try
            {
                await Task.Delay(idle, _time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task HandleAsync(IMessageQueue queue, InboundMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var disposition = await scope.ServiceProvider.GetRequiredService<RelayReportHandler>().HandleAsync(message.Body, cancellationToken);
            if (disposition == ReportDisposition.Invalid)
            {
                await queue.DeadLetterAsync(message, "The report is not a valid relay report.", cancellationToken);
                return;
            }

            await queue.CompleteAsync(message, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the lock lapses and the report is delivered again.
        }
        catch (Exception ex)
        {
            LogHandleFailed(_logger, ex, message.MessageId, message.DeliveryCount);
            if (message.DeliveryCount >= _options.MaxDeliveryCount)
            {
                await queue.DeadLetterAsync(message, $"Failed {message.DeliveryCount} times: {ex.Message}", cancellationToken);
            }
        }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Receiving from the results queue failed; backing off")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Handling result message {MessageId} failed (delivery {DeliveryCount})")]
    private static partial void LogHandleFailed(ILogger logger, Exception exception, string messageId, long deliveryCount);
}
