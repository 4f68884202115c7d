using System.Diagnostics;
using LdFleet.Protocol.Telemetry;
using LdFleet.Relay.Hosting;

namespace LdFleet.Relay.LdPlayer;

/// <summary>What one ldconsole call printed and returned, decoded.</summary>
internal sealed record LdConsoleOutput(int ExitCode, string Text, bool TimedOut, TimeSpan Duration)
{
    /// <summary>Successful ldconsole actions print nothing; any text at all is a strong failure signal (reference §2.2).</summary>
    public bool IsSilent => Text.Trim().Length == 0;

    /// <summary>What the bytes on stdout were: <c>ascii</c>, <c>utf-8</c> or <c>cp{code page}</c> (<see cref="ConsoleText.Detect"/>).</summary>
    public string Encoding { get; init; } = "ascii";
}

/// <summary>
/// One LDPlayer host: where its ldconsole runs (a local process or SSH, through <see cref="IProcessRunner"/>),
/// how its output is decoded, and how hard it may be driven (concurrent calls, launch stagger).
/// </summary>
internal sealed class LdPlayerHost : IDisposable
{
    private readonly LdPlayerHostOptions _options;
    private readonly IProcessRunner _runner;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _calls;
    private readonly SemaphoreSlim _bootGate = new(1, 1);
    private long _lastBootTimestamp;
    private bool _booted;

    public LdPlayerHost(LdPlayerHostOptions options, IProcessRunner runner, TimeProvider? time = null, CircuitOptions? circuit = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runner);
        _options = options;
        _runner = runner;
        _time = time ?? TimeProvider.System;
        _calls = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentCalls));
        Circuit = new HostCircuitBreaker(options.Id, circuit ?? new CircuitOptions(), _time, logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }

    public string Id => _options.Id;

    /// <summary>Whether the host is reachable, as the calls so far tell; an open circuit fails calls at once.</summary>
    public HostCircuitBreaker Circuit { get; }

    /// <summary>The host's settings (kind, ldconsole path, code page), for diagnostics.</summary>
    public LdPlayerHostOptions Options => _options;

    /// <summary>The host's list2 reads, shared among concurrent callers (see <see cref="FreshRead{T}"/>).</summary>
    public FreshRead<(IReadOnlyList<EmulatorInfo>? Emulators, string? Error)> EmulatorList { get; } = new();

    /// <summary>
    /// Runs ldconsole with <paramref name="arguments"/> through the host's circuit breaker. Boot commands (launch,
    /// reboot) wait for the host's stagger after the previous boot before they start. A <paramref name="guest"/>
    /// command (adb, getprop) that hangs is the emulator's problem, so its timeout does not count against the host.
    /// </summary>
    /// <exception cref="HostUnavailableException">The host's circuit is open.</exception>
    public async Task<LdConsoleOutput> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, bool boots = false, bool guest = false)
    {
        var result = await Circuit.ExecuteAsync(
            async ct =>
            {
                if (boots)
                {
                    await WaitForBootSlotAsync(ct);
                }

                await _calls.WaitAsync(ct);
                try
                {
                    return await RunProcessAsync(arguments, timeout, ct);
                }
                finally
                {
                    _calls.Release();
                }
            },
            r => HostFault(arguments, timeout, r, guest),
            cancellationToken);
        return Decode(result);
    }

    /// <summary>
    /// Runs ldconsole without the circuit breaker or the limit on concurrent calls: the connection test, which must
    /// reach a host whose circuit is open, or whose call slots are all held by hanging calls.
    /// </summary>
    /// <returns>The output, and why it means the host was not reached (as <see cref="HostFault"/> tells), if it does.</returns>
    public async Task<(LdConsoleOutput Output, string? HostFault)> RunUncheckedAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await RunProcessAsync(arguments, timeout, cancellationToken);
        return (Decode(result), HostFault(arguments, timeout, result, guest: false));
    }

    /// <summary>
    /// Makes sure the host can be reached: for an SSH host, the connection is open (connecting and logging in if it
    /// was not); a local host is the relay's own machine. Describes what was reached.
    /// </summary>
    public async Task<string> ReachAsync(CancellationToken cancellationToken) => _runner is Ssh.SshProcessRunner ssh
        ? await ssh.EnsureConnectedAsync(cancellationToken)
        : "local";

    /// <summary>Why a finished call means the host was not reached, or null.</summary>
    internal string? HostFault(IReadOnlyList<string> arguments, TimeSpan timeout, ProcessResult result, bool guest)
    {
        var command = arguments.Count > 0 ? arguments[0] : "";
        if (result.TimedOut && !guest)
        {
            return $"ldconsole {command} did not answer within {timeout.TotalSeconds:0.#} s";
        }

        return _options.Kind == LdPlayerHostKind.Ssh && _options.Ssh is { } ssh && Ssh.SshProcessRunner.MeansProgramMissing(ssh.Shell, result)
            ? $"ldconsole was not found at '{_options.LdConsolePath}' on the host (the remote shell exited {result.ExitCode})"
            : null;
    }

    private async Task<ProcessResult> RunProcessAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // One span per ldconsole process (an action may run several: the action, then list2 to verify it).
        using var span = FleetTelemetry.Source.StartActivity("ldconsole " + (arguments.Count > 0 ? arguments[0] : ""), ActivityKind.Internal);
        span?.SetTag(FleetTelemetry.Tags.HostId, Id);
        span?.SetTag(FleetTelemetry.Tags.Action, arguments.Count > 0 ? arguments[0] : "");
        var spec = new ProcessSpec(_options.LdConsolePath, arguments, timeout) { Environment = _options.Environment };
        var result = await _runner.RunAsync(spec, cancellationToken);
        span?.SetTag(FleetTelemetry.Tags.ExitCode, result.ExitCode);
        span?.SetTag(FleetTelemetry.Tags.DurationMs, result.Duration.TotalMilliseconds);
        if (result.TimedOut)
        {
            span?.SetTag("ldfleet.timed_out", true);
            span?.SetStatus(ActivityStatusCode.Error, "timed out");
        }

        return result;
    }

    private LdConsoleOutput Decode(ProcessResult result)
    {
        // ldconsole writes its errors to stdout; stderr is kept after it for the rare crash message.
        var text = ConsoleText.Decode(result.StandardOutput, _options.CodePage, _options.OutputEncoding);
        var errors = ConsoleText.Decode(result.StandardError, _options.CodePage, _options.OutputEncoding);
        if (errors.Length > 0)
        {
            text = text.Length == 0 ? errors : text + "\n" + errors;
        }

        return new LdConsoleOutput(result.ExitCode, text, result.TimedOut, result.Duration) { Encoding = ConsoleText.Detect(result.StandardOutput, _options.CodePage) };
    }

    public void Dispose()
    {
        _calls.Dispose();
        _bootGate.Dispose();
        (_runner as IDisposable)?.Dispose();
    }

    private async Task WaitForBootSlotAsync(CancellationToken cancellationToken)
    {
        await _bootGate.WaitAsync(cancellationToken);
        try
        {
            if (_booted)
            {
                var wait = _options.LaunchStagger - _time.GetElapsedTime(_lastBootTimestamp);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, cancellationToken);
                }
            }

            _lastBootTimestamp = _time.GetTimestamp();
            _booted = true;
        }
        finally
        {
            _bootGate.Release();
        }
    }
}

/// <summary>The hosts this relay drives, by id.</summary>
internal sealed class LdPlayerHostRegistry : IDisposable
{
    private readonly Dictionary<string, LdPlayerHost> _hosts;

    public LdPlayerHostRegistry(IEnumerable<LdPlayerHost> hosts) =>
        _hosts = hosts.ToDictionary(h => h.Id, StringComparer.Ordinal);

    public IReadOnlyCollection<LdPlayerHost> All => _hosts.Values;

    public LdPlayerHost? Find(string hostId) => _hosts.GetValueOrDefault(hostId);

    public void Dispose()
    {
        foreach (var host in _hosts.Values)
        {
            host.Dispose();
        }
    }
}
