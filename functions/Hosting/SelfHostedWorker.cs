namespace LdFleet.Functions.Hosting;

/// <summary>
/// Runs a background service only when the app hosts itself. Under the Functions host the same work is
/// triggered by invocations instead (a timer or queue trigger), and running both would poll twice.
/// The mode is read when the host starts, not when services are registered, so configuration added late
/// (tests, WebApplicationFactory) decides it too.
/// </summary>
internal sealed partial class SelfHostedWorker<T> : IHostedService
    where T : class, IHostedService
{
    private readonly IServiceProvider _services;
    private readonly IConfiguration _configuration;
    private readonly ILogger<SelfHostedWorker<T>> _logger;
    private T? _worker;

    /// <summary>Whether the worker was started (self-hosted mode).</summary>
    public bool Started => _worker is not null;

    public SelfHostedWorker(IServiceProvider services, IConfiguration configuration, ILogger<SelfHostedWorker<T>> logger)
    {
        _services = services;
        _configuration = configuration;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (HostingMode.IsCustomHandler(_configuration))
        {
            LogSkipped(_logger, typeof(T).Name);
            return Task.CompletedTask;
        }

        _worker = _services.GetRequiredService<T>();
        return _worker.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _worker?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "{Worker} not started: the Functions host triggers this work (custom-handler mode)")]
    private static partial void LogSkipped(ILogger logger, string worker);
}
