using System.ComponentModel;
using System.Globalization;
using LdFleet.Protocol.Commands;
using LdFleet.Relay.LdPlayer.Ssh;
using Polly;
using Polly.CircuitBreaker;

namespace LdFleet.Relay.LdPlayer;

/// <summary>
/// <c>Relay:Circuit</c>: when a host counts as unreachable, and how it is tried again. One setting for all hosts;
/// each host has a breaker of its own.
/// </summary>
internal sealed class CircuitOptions
{
    /// <summary>
    /// Calls that must fail to reach the host, with no success among them, within <see cref="SamplingDuration"/> before
    /// the circuit opens (Polly's minimum throughput at a failure ratio of 1). At least 2.
    /// </summary>
    public int FailureThreshold { get; set; } = 3;

    /// <summary>The window in which those failures must fall.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an open circuit fails commands at once before a probe may go through.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the relay looks for open circuits whose break is over and probes them with a list2.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// A host could not be used: its circuit is open. Commands for it fail at once with <see cref="DriverErrors.HostUnreachable"/>.
/// </summary>
internal sealed class HostUnavailableException(string hostId, string message, Exception? innerException = null) : IOException(message, innerException)
{
    public string HostId { get; } = hostId;
}

/// <summary>
/// One host's circuit breaker (Polly): repeated failures to reach the host open it, then ldconsole calls for the host
/// fail at once instead of each waiting for its own timeout, until a probe gets through again.
/// </summary>
/// <remarks>
/// Only failures to reach the host count: ldconsole not starting (missing, not executable), the SSH connection or
/// login failing, ldconsole hanging past its timeout, a remote shell saying the program does not exist. An emulator's
/// own failure (no such emulator, no effect, a guest command hanging inside Android) says nothing about the host and
/// is never counted.
/// </remarks>
internal sealed partial class HostCircuitBreaker
{
    private readonly string _hostId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<Attempt> _pipeline;
    private readonly CircuitBreakerManualControl _control = new();
    private readonly Lock _gate = new();
    private string _state = CircuitStates.Closed;
    private DateTimeOffset _since;
    private DateTimeOffset? _retryAt;
    private int _failures;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;

    public HostCircuitBreaker(string hostId, CircuitOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _hostId = hostId;
        _time = time;
        _logger = logger;
        _since = time.GetUtcNow();
        _pipeline = new ResiliencePipelineBuilder<Attempt> { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<Attempt>
            {
                FailureRatio = 1.0,
                MinimumThroughput = options.FailureThreshold,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                ManualControl = _control,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex ? FaultOf(ex) is not null : args.Outcome.Result?.Fault is not null),
                OnOpened = args =>
                {
                    Transition(CircuitStates.Open, _time.GetUtcNow() + args.BreakDuration);
                    LogOpened(_logger, _hostId, _failures, args.BreakDuration.TotalSeconds, _lastError);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    Transition(CircuitStates.HalfOpen, null);
                    LogHalfOpened(_logger, _hostId);
                    return ValueTask.CompletedTask;
                },
                OnClosed = args =>
                {
                    Transition(CircuitStates.Closed, null);
                    LogClosed(_logger, _hostId, args.IsManual ? "a passed connection test" : "a call that reached the host");
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>This host's circuit as the heartbeat reports it.</summary>
    public HostCircuit Snapshot()
    {
        lock (_gate)
        {
            return new HostCircuit
            {
                HostId = _hostId,
                State = _state,
                Since = _since,
                ConsecutiveFailures = _failures,
                LastError = _lastError,
                LastErrorAt = _lastErrorAt,
                RetryAt = _retryAt,
            };
        }
    }

    /// <summary>Whether the circuit is open and its break is over, so a probe would be let through.</summary>
    public bool ProbeDue
    {
        get
        {
            lock (_gate)
            {
                return _state == CircuitStates.Open && _retryAt <= _time.GetUtcNow();
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> unless the circuit is open, and counts its outcome: an exception that means the host
    /// could not be reached, or a result <paramref name="classify"/> names a fault, is a failure; anything else a success.
    /// </summary>
    /// <exception cref="HostUnavailableException">The circuit is open.</exception>
    public async Task<ProcessResult> ExecuteAsync(Func<CancellationToken, Task<ProcessResult>> call, Func<ProcessResult, string?> classify, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(classify);
        try
        {
            // Counted inside the pipeline, so the breaker's callbacks already see the failure that opened it.
            var attempt = await _pipeline.ExecuteAsync(
                static async (state, ct) =>
                {
                    ProcessResult result;
                    try
                    {
                        result = await state.call(ct);
                    }
                    catch (Exception ex) when (FaultOf(ex) is { } fault)
                    {
                        state.self.RecordFailure(fault);
                        throw;
                    }

                    var failure = state.classify(result);
                    if (failure is null)
                    {
                        state.self.RecordSuccess();
                    }
                    else
                    {
                        state.self.RecordFailure(failure);
                    }

                    return new Attempt(result, failure);
                },
                (self: this, call, classify),
                cancellationToken);
            return attempt.Result;
        }
        catch (BrokenCircuitException ex)
        {
            throw new HostUnavailableException(_hostId, Describe(), ex);
        }
    }

    /// <summary>Records a failure to reach the host seen outside the breaker (a connection test that bypassed it).</summary>
    public void RecordFailure(string fault)
    {
        lock (_gate)
        {
            _failures++;
            _lastError = fault;
            _lastErrorAt = _time.GetUtcNow();
        }
    }

    /// <summary>Closes the circuit: a connection test reached the host through every stage.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        RecordSuccess();
        await _control.CloseAsync(cancellationToken);
    }

    /// <summary>Why an exception means the host could not be reached, or null when it says nothing about the host.</summary>
    internal static string? FaultOf(Exception exception) => exception switch
    {
        Win32Exception ex => $"ldconsole could not be started: {ex.Message}",
        SshHostException ex => ex.Message,
        _ => null,
    };

    private void RecordSuccess()
    {
        lock (_gate)
        {
            _failures = 0;
        }
    }

    private void Transition(string state, DateTimeOffset? retryAt)
    {
        lock (_gate)
        {
            _state = state;
            _since = _time.GetUtcNow();
            _retryAt = retryAt;
        }
    }

    private string Describe()
    {
        var snapshot = Snapshot();
        var since = snapshot.Since.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var retry = snapshot.RetryAt is { } at
            ? $"; the next probe may go through at {at.ToUniversalTime().ToString("HH:mm:ss'Z'", CultureInfo.InvariantCulture)}"
            : "; a probe is on its way";
        return $"Host '{_hostId}' is unreachable since {since}: its circuit is {snapshot.State} after {snapshot.ConsecutiveFailures} consecutive failures to reach it "
            + $"(last: {snapshot.LastError ?? "unknown"}). Commands for it fail at once until a probe or a connection test gets through{retry}.";
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "{HostId}: circuit opened after {Failures} consecutive failures to reach the host; commands fail at once for {BreakSeconds} s (last: {LastError})")]
    private static partial void LogOpened(ILogger logger, string hostId, int failures, double breakSeconds, string? lastError);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "{HostId}: circuit half-open; the next call probes the host")]
    private static partial void LogHalfOpened(ILogger logger, string hostId);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "{HostId}: circuit closed by {Reason}")]
    private static partial void LogClosed(ILogger logger, string hostId, string reason);

    /// <summary>One call's result and, when it failed to reach the host, why.</summary>
    private sealed record Attempt(ProcessResult Result, string? Fault);
}
