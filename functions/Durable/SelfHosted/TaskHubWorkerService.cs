using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker.Shims;

namespace LdFleet.Functions.Durable.SelfHosted;

/// <summary>
/// Runs the app's orchestrators and activities in this process on DurableTask.Core's <see cref="TaskHubWorker"/> over
/// the Azure Storage provider: the hosting used when no Functions host runs the app (local fleet, tests, bench,
/// on-premises). The task list is the same <see cref="FleetTasks"/> registry the Functions worker is given.
/// </summary>
/// <remarks>
/// Registered after the web server, so it stops first on shutdown: in-flight episodes finish (or are abandoned and
/// picked up again after the work-item visibility timeout) before the API goes away.
/// </remarks>
internal sealed partial class TaskHubWorkerService : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly AzureStorageOrchestrationService _service;
    private readonly DurableTaskShimFactory _shims;
    private readonly IServiceProvider _services;
    private readonly IEnumerable<ExtraDurableTasks> _extras;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<TaskHubWorkerService> _logger;
    private TaskHubWorker? _worker;

    public TaskHubWorkerService(AzureStorageOrchestrationService service, DurableTaskShimFactory shims, IServiceProvider services, IEnumerable<ExtraDurableTasks> extras, ILoggerFactory loggers)
    {
        _service = service;
        _shims = shims;
        _services = services;
        _extras = extras;
        _loggers = loggers;
        _logger = loggers.CreateLogger<TaskHubWorkerService>();
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _service.CreateIfNotExistsAsync().WaitAsync(cancellationToken);
        var registry = new DurableTaskRegistry();
        FleetTasks.Register(registry);
        FleetTasks.RegisterClientActivities(registry);
        foreach (var extra in _extras)
        {
            extra.Register(registry);
        }

        var worker = new TaskHubWorker(_service, _loggers) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
        worker.AddTaskOrchestrations([.. registry.GetOrchestrators().Select(o => new OrchestrationShimCreator(o.Key, () => o.Value(_services), _shims))]);
        var scopes = _services.GetRequiredService<IServiceScopeFactory>();
        worker.AddTaskActivities([.. registry.GetActivities().Select(a => new ActivityShimCreator(a.Key, a.Value, scopes, _shims))]);
        worker.AddOrchestrationDispatcherMiddleware(OrchestrationShimCreator.PassParentAsync);
        await worker.StartAsync().WaitAsync(cancellationToken);
        _worker = worker;
        LogStarted(_logger, _service.ToString());
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_worker is not { } worker)
        {
            return;
        }

        _worker = null;
        try
        {
            // A graceful stop waits for work in flight; past the timeout the rest is abandoned, and its queue messages
            // reappear after the visibility timeout for this or another worker.
            await worker.StopAsync(isForced: false).WaitAsync(StopTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogStopTimedOut(_logger, StopTimeout);
            await worker.StopAsync(isForced: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_worker is { } worker)
        {
            await worker.StopAsync(isForced: true);
        }
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Durable Task worker started on {Hub}")]
    private static partial void LogStarted(ILogger logger, string hub);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Durable Task worker did not stop within {Timeout}; the rest of its work is abandoned and resumes after the visibility timeout")]
    private static partial void LogStopTimedOut(ILogger logger, TimeSpan timeout);
}

/// <summary>More tasks for the self-hosted worker than the app's own (tests probe the backend's behaviour with them).</summary>
internal sealed record ExtraDurableTasks(Action<DurableTaskRegistry> Register);
