using System.Collections.Frozen;
using LdFleet.Protocol.Commands;
using A = LdFleet.Protocol.Commands.EmulatorActions;

namespace LdFleet.Functions.Operations.Workflows;

/// <summary>How long one action may run on the relay and which of its failures are worth another attempt.</summary>
internal sealed record ActionPolicy(TimeSpan ExecutionTimeout, int MaxAttempts, FrozenSet<string> RetryOn)
{
    // Failures that say nothing about the emulator: the command did not take effect (Interrupted: list2 proved
    // it), or could not be judged. InterruptedOutcomeUnknown is never here: repeating it could double an effect.
    private static readonly FrozenSet<string> Transient = FrozenSet.Create(StringComparer.Ordinal,
        "Timeout", "HostUnreachable", "ListUnreadable", "UnexpectedOutput", "Interrupted");

    // Creating, copying and raw shell commands are not idempotent: only a failure proven to have had no
    // effect may be repeated.
    private static readonly FrozenSet<string> ProvenNoEffect = FrozenSet.Create(StringComparer.Ordinal, "Interrupted");

    private static readonly FrozenDictionary<string, ActionPolicy> Defaults = new Dictionary<string, ActionPolicy>(StringComparer.Ordinal)
    {
        [A.Status] = new(TimeSpan.FromSeconds(30), 3, Transient),
        [A.Launch] = new(TimeSpan.FromMinutes(1), 3, Transient),
        [A.LaunchEx] = new(TimeSpan.FromMinutes(1), 3, Transient),
        [A.Quit] = new(TimeSpan.FromSeconds(30), 3, Transient),
        [A.QuitAll] = new(TimeSpan.FromMinutes(2), 3, Transient),
        [A.Reboot] = new(TimeSpan.FromMinutes(1), 2, Transient),
        [A.Add] = new(TimeSpan.FromMinutes(2), 2, ProvenNoEffect),
        [A.Copy] = new(TimeSpan.FromMinutes(15), 2, ProvenNoEffect),
        [A.Remove] = new(TimeSpan.FromMinutes(2), 3, Transient),
        [A.Rename] = new(TimeSpan.FromSeconds(30), 3, Transient),
        [A.Modify] = new(TimeSpan.FromMinutes(1), 3, Transient),
        [A.InstallApp] = new(TimeSpan.FromMinutes(10), 3, Transient),
        [A.UninstallApp] = new(TimeSpan.FromMinutes(2), 3, Transient),
        [A.RunApp] = new(TimeSpan.FromMinutes(1), 3, Transient),
        [A.KillApp] = new(TimeSpan.FromSeconds(30), 3, Transient),
        [A.Adb] = new(TimeSpan.FromMinutes(5), 1, ProvenNoEffect),
        [A.SetProp] = new(TimeSpan.FromSeconds(30), 3, Transient),
        [A.GetProp] = new(TimeSpan.FromSeconds(30), 3, Transient),
        [A.Locate] = new(TimeSpan.FromSeconds(30), 3, Transient),
        [A.DownCpu] = new(TimeSpan.FromSeconds(30), 3, Transient),
        [A.Backup] = new(TimeSpan.FromMinutes(30), 2, ProvenNoEffect),
        [A.Restore] = new(TimeSpan.FromMinutes(30), 2, ProvenNoEffect),
        [A.Action] = new(TimeSpan.FromMinutes(1), 3, Transient),
        [A.GlobalSetting] = new(TimeSpan.FromSeconds(30), 3, Transient),
        [A.SortWindows] = new(TimeSpan.FromSeconds(30), 3, Transient),
        [A.WaitBooted] = new(TimeSpan.FromMinutes(5), 2, Transient),
        [A.WaitStopped] = new(TimeSpan.FromMinutes(2), 2, Transient),
        [A.Cancel] = new(TimeSpan.FromSeconds(30), 1, ProvenNoEffect),

        // A diagnostic: its answer is the point, a retry would only hide a flaky host.
        [A.TestConnection] = new(TimeSpan.FromSeconds(60), 1, ProvenNoEffect),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Actions a caller may start as a single-command operation (everything but relay plumbing).</summary>
    public static IEnumerable<string> SingleCommandActions => Defaults.Keys.Where(a => a is not (A.Cancel));

    public static bool Exists(string action) => Defaults.ContainsKey(action);

    /// <summary>The policy for <paramref name="action"/>, with the execution timeout overridden from options when configured.</summary>
    public static ActionPolicy For(string action, OperationsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var policy = Defaults.TryGetValue(action, out var p) ? p : throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown action.");
        policy = options.ExecutionTimeouts.TryGetValue(action, out var timeout) ? policy with { ExecutionTimeout = timeout } : policy;
        return policy with { MaxAttempts = Math.Min(policy.MaxAttempts, options.MaxAttempts) };
    }

    /// <summary>Per-command timeout a caller asked for (seconds), bounded by the policy's own when larger is not sensible.</summary>
    public static TimeSpan ExecutionTimeoutFor(string action, IReadOnlyDictionary<string, string> parameters, OperationsOptions options)
    {
        var policy = For(action, options);
        return parameters.TryGetValue(CommandParameters.Timeout, out var seconds)
            && int.TryParse(seconds, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) && s is > 0 and <= 3600
            ? TimeSpan.FromSeconds(s)
            : policy.ExecutionTimeout;
    }
}
