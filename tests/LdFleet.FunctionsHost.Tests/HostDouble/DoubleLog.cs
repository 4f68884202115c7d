using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LdFleet.FunctionsHost.Tests.HostDouble;

/// <summary>What the double itself logged (warnings and errors), for failure messages.</summary>
internal sealed class DoubleLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Tail(int count = 20) => "--- host double log ---\n" + string.Join('\n', _lines.TakeLast(count));

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
