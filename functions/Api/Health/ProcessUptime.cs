using System.Reflection;

namespace LdFleet.Functions.Api.Health;

/// <summary>
/// Which build of the app answers and since when: the health answers carry it, so a probe or an operator tells a
/// restarted or redeployed instance from one that has been running all along.
/// </summary>
internal sealed class ProcessUptime
{
    private readonly TimeProvider _time;
    private readonly long _startedTimestamp;

    public ProcessUptime(TimeProvider time)
    {
        _time = time;
        StartedAt = time.GetUtcNow();

        // Uptime from the monotonic clock, as the relay's heartbeat does: the wall clock may be set while the app runs.
        _startedTimestamp = time.GetTimestamp();
    }

    /// <summary>
    /// The assembly's informational version as the build stamps it (e.g. <c>1.0.0+&lt;commit&gt;</c>), the commit
    /// included: it names the exact build, and the relay's heartbeat reports its version the same way.
    /// </summary>
    public static string Version { get; } =
        typeof(ProcessUptime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>When this instance started (UTC), by the app's clock.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>How long this instance has been running.</summary>
    public TimeSpan Uptime => _time.GetElapsedTime(_startedTimestamp);
}
