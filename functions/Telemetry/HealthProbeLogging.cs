namespace LdFleet.Functions.Telemetry;

/// <summary>
/// Lowers to Debug what a <c>/health/*</c> request logs at Information: ASP.NET Core's request lines ("Request
/// starting", "Request finished", "Executing endpoint") and anything else written at Information while one is served.
/// Probes come every few seconds from every load balancer and orchestrator and would bury the lines that matter;
/// other requests keep their levels, and a probe's warnings and errors (a dependency down) keep theirs.
/// </summary>
/// <remarks>
/// The level has to change before the <c>Logging:LogLevel</c> filters apply, so this wraps the logger factory every
/// logger comes from rather than a provider. The request is the one <see cref="IHttpContextAccessor"/> sees: set by
/// ASP.NET Core before "Request starting" and cleared after "Request finished", and under the Functions host also set
/// while the app's pipeline runs for the invocation (<c>FunctionsApi</c>).
/// </remarks>
internal sealed class HealthProbeLoggerFactory : ILoggerFactory
{
    private readonly ILoggerFactory _inner;
    private readonly IHttpContextAccessor _http;
    private readonly bool _ownsInner;

    public HealthProbeLoggerFactory(ILoggerFactory inner, IHttpContextAccessor http, bool ownsInner)
    {
        _inner = inner;
        _http = http;
        _ownsInner = ownsInner;
    }

    /// <summary>Whether the request being served is a health probe.</summary>
    internal bool InHealthRequest =>
        _http.HttpContext is { } context && context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase);

    public ILogger CreateLogger(string categoryName) => new HealthProbeLogger(_inner.CreateLogger(categoryName), this);

    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    public void Dispose()
    {
        if (_ownsInner)
        {
            _inner.Dispose();
        }
    }

    /// <summary>
    /// Replaces the container's <see cref="ILoggerFactory"/> with this wrapper around it. The wrapped factory is built
    /// as the container would have built it, and disposed with the wrapper when the container created it.
    /// </summary>
    public static void Register(IServiceCollection services)
    {
        var original = services.LastOrDefault(d => d.ServiceType == typeof(ILoggerFactory) && !d.IsKeyedService)
            ?? throw new InvalidOperationException("No ILoggerFactory is registered: logging must be added before the health probe filter.");
        services.Remove(original);
        services.AddSingleton<ILoggerFactory>(sp =>
        {
            var http = sp.GetRequiredService<IHttpContextAccessor>();
            return original switch
            {
                { ImplementationInstance: ILoggerFactory instance } => new HealthProbeLoggerFactory(instance, http, ownsInner: false),
                { ImplementationFactory: { } factory } => new HealthProbeLoggerFactory((ILoggerFactory)factory(sp), http, ownsInner: true),
                { ImplementationType: { } type } => new HealthProbeLoggerFactory((ILoggerFactory)ActivatorUtilities.CreateInstance(sp, type), http, ownsInner: true),
                _ => throw new InvalidOperationException($"The ILoggerFactory registration ({original}) cannot be wrapped."),
            };
        });
    }

    private sealed class HealthProbeLogger(ILogger inner, HealthProbeLoggerFactory factory) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Written at Debug, the line is kept or dropped by the Debug threshold of its category, as any Debug line.
            var level = logLevel == LogLevel.Information && factory.InHealthRequest ? LogLevel.Debug : logLevel;
            inner.Log(level, eventId, state, exception, formatter);
        }
    }
}
