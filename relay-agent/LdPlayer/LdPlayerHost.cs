using System.Diagnostics;
using LdFleet.Protocol.Telemetry;
using LdFleet.Relay.Hosting;

namespace LdFleet.Relay.LdPlayer;

/// <summary>What one ldconsole call printed and returned, decoded.</summary>
internal sealed record LdConsoleOutput(int ExitCode, string Text, bool TimedOut, TimeSpan Duration)
{
    /// <summary>Successful ldconsole actions print nothing; any text at all is a strong failure signal (reference §2.2).</summary>
    public bool IsSilent => Text.Trim().Length == 0;
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

    public LdPlayerHost(LdPlayerHostOptions options, IProcessRunner runner, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runner);
        _options = options;
        _runner = runner;
        _time = time ?? TimeProvider.System;
        _calls = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentCalls));
    }

    public string Id => _options.Id;

    /// <summary>The host's list2 reads, shared among concurrent callers (see <see cref="FreshRead{T}"/>).</summary>
    public FreshRead<(IReadOnlyList<EmulatorInfo>? Emulators, string? Error)> EmulatorList { get; } = new();

    /// <summary>
    /// Runs ldconsole with <paramref name="arguments"/>. Boot commands (launch, reboot) wait for the host's
    /// stagger after the previous boot before they start.
    /// </summary>
    public async Task<LdConsoleOutput> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, bool boots = false)
    {
        if (boots)
        {
            await WaitForBootSlotAsync(cancellationToken);
        }

        await _calls.WaitAsync(cancellationToken);

        // One span per ldconsole process (an action may run several: the action, then list2 to verify it).
        using var span = FleetTelemetry.Source.StartActivity("ldconsole " + (arguments.Count > 0 ? arguments[0] : ""), ActivityKind.Internal);
        span?.SetTag(FleetTelemetry.Tags.HostId, Id);
        span?.SetTag(FleetTelemetry.Tags.Action, arguments.Count > 0 ? arguments[0] : "");
        try
        {
            var spec = new ProcessSpec(_options.LdConsolePath, arguments, timeout) { Environment = _options.Environment };
            var result = await _runner.RunAsync(spec, cancellationToken);
            span?.SetTag(FleetTelemetry.Tags.ExitCode, result.ExitCode);
            span?.SetTag(FleetTelemetry.Tags.DurationMs, result.Duration.TotalMilliseconds);
            if (result.TimedOut)
            {
                span?.SetTag("ldfleet.timed_out", true);
                span?.SetStatus(ActivityStatusCode.Error, "timed out");
            }

            // ldconsole writes its errors to stdout; stderr is kept after it for the rare crash message.
            var text = ConsoleText.Decode(result.StandardOutput, _options.CodePage, _options.OutputEncoding);
            var errors = ConsoleText.Decode(result.StandardError, _options.CodePage, _options.OutputEncoding);
            if (errors.Length > 0)
            {
                text = text.Length == 0 ? errors : text + "\n" + errors;
            }

            return new LdConsoleOutput(result.ExitCode, text, result.TimedOut, result.Duration);
        }
        finally
        {
            _calls.Release();
        }
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
