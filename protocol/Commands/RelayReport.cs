using System.Text.Json.Serialization;

namespace LdFleet.Protocol.Commands;

/// <summary>Anything a relay sends to the cloud on the results queue.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(CommandResult), "result")]
[JsonDerivedType(typeof(RelayHeartbeat), "heartbeat")]
[JsonDerivedType(typeof(InventoryReport), "inventory")]
[JsonDerivedType(typeof(CommandStarted), "started")]
public abstract record RelayReport
{
    /// <summary>Version of this contract.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>The reporting relay's site.</summary>
    public required string SiteId { get; init; }
}

/// <summary>How a command ended on the relay.</summary>
public enum CommandOutcome
{
    /// <summary>ldconsole ran and the effect was achieved.</summary>
    Succeeded,

    /// <summary>ldconsole ran (or could not be run) and the effect was not achieved.</summary>
    Failed,

    /// <summary>The command arrived after its delivery deadline and was not executed.</summary>
    Expired,

    /// <summary>The relay refused the command (unknown action, wrong site or host, invalid arguments).</summary>
    Rejected,
}

/// <summary>The relay's answer to one <see cref="EmulatorCommand"/>.</summary>
public sealed record CommandResult : RelayReport
{
    /// <summary>The command answered.</summary>
    public required string CommandId { get; init; }

    /// <summary>The operation the command belongs to.</summary>
    public required string OperationId { get; init; }

    /// <summary>The host the command ran on.</summary>
    public required string HostId { get; init; }

    /// <summary>How it ended.</summary>
    public required CommandOutcome Outcome { get; init; }

    /// <summary>A stable machine-readable reason for failures, for example <c>PlayerNotFound</c>.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>A human-readable explanation of a failure.</summary>
    public string? Error { get; init; }

    /// <summary>ldconsole's exit code as a signed 32-bit value, when it ran.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Facts the command established, e.g. <c>index</c> and <c>title</c> of a created emulator.</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();

    /// <summary>ldconsole's decoded output (stdout then stderr), truncated to a few KiB.</summary>
    public string Output { get; init; } = "";

    /// <summary>When execution started on the relay.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the relay finished.</summary>
    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>W3C <c>traceparent</c> of the relay span that sent this report (a child of the command's); optional.</summary>
    public string? TraceParent { get; init; }

    /// <summary>W3C <c>tracestate</c> that goes with <see cref="TraceParent"/>; optional.</summary>
    public string? TraceState { get; init; }
}

/// <summary>The relay began executing a long-running command (see <see cref="EmulatorActions.ReportsStart"/>).</summary>
public sealed record CommandStarted : RelayReport
{
    public required string CommandId { get; init; }

    public required string OperationId { get; init; }

    public required string HostId { get; init; }

    /// <summary>When execution started, by the relay's clock.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>W3C <c>traceparent</c> of the relay span that sent this report (a child of the command's); optional.</summary>
    public string? TraceParent { get; init; }

    /// <summary>W3C <c>tracestate</c> that goes with <see cref="TraceParent"/>; optional.</summary>
    public string? TraceState { get; init; }
}

/// <summary>"This relay is alive": sent every few seconds so the cloud can tell online sites from offline ones.</summary>
public sealed record RelayHeartbeat : RelayReport
{
    /// <summary>A per-process id: a new value means the relay restarted.</summary>
    public required string InstanceId { get; init; }

    /// <summary>The relay's version.</summary>
    public required string Version { get; init; }

    /// <summary>When the relay started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When this heartbeat was sent, by the relay's clock.</summary>
    public required DateTimeOffset SentAt { get; init; }

    /// <summary>The hosts the relay drives.</summary>
    public IReadOnlyList<string> HostIds { get; init; } = [];

    /// <summary>Commands executing right now.</summary>
    public int CommandsInFlight { get; init; }

    /// <summary>How long the relay has been running when it sent this heartbeat. Null from relays before this field existed.</summary>
    public TimeSpan? Uptime { get; init; }

    /// <summary>
    /// The circuit breaker of each host: whether the relay currently lets commands reach it. Null from relays before
    /// this field existed (the cloud then shows no circuit).
    /// </summary>
    public IReadOnlyList<HostCircuit>? Circuits { get; init; }
}

/// <summary>The circuit state names of <see cref="HostCircuit.State"/>.</summary>
public static class CircuitStates
{
    /// <summary>Commands reach the host.</summary>
    public const string Closed = "closed";

    /// <summary>Repeated failures to reach the host: commands for it fail at once with <c>HostUnreachable</c>.</summary>
    public const string Open = "open";

    /// <summary>The break is over and a probe is on its way; its outcome closes or reopens the circuit.</summary>
    public const string HalfOpen = "half-open";
}

/// <summary>
/// One host's circuit breaker as the relay sees it. Failures that count are failures to reach the host (SSH connect
/// or authentication, ldconsole missing or not starting, ldconsole hanging past its timeout), never an emulator's
/// own failure such as a missing emulator.
/// </summary>
public sealed record HostCircuit
{
    public required string HostId { get; init; }

    /// <summary>One of <see cref="CircuitStates"/>.</summary>
    public required string State { get; init; }

    /// <summary>When the circuit entered <see cref="State"/> (the relay's start when it never changed).</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>Failures to reach the host since the last success.</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>The latest failure to reach the host, if any.</summary>
    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>While open: when the next probe may go through.</summary>
    public DateTimeOffset? RetryAt { get; init; }
}

/// <summary>The emulators of one host as LDPlayer lists them, or why they could not be listed.</summary>
public sealed record InventoryReport : RelayReport
{
    public required string HostId { get; init; }

    /// <summary>When list2 was read, by the relay's clock.</summary>
    public required DateTimeOffset ObservedAt { get; init; }

    /// <summary>Null when the host answered; otherwise why not (the emulator list is then empty and means nothing).</summary>
    public string? Error { get; init; }

    public IReadOnlyList<InventoryEmulator> Emulators { get; init; } = [];
}

/// <summary>One emulator in an <see cref="InventoryReport"/>.</summary>
public sealed record InventoryEmulator
{
    public required int Index { get; init; }

    public required string Title { get; init; }

    /// <summary><c>stopped</c>, <c>starting</c> or <c>running</c> (Android entered).</summary>
    public required string State { get; init; }

    public int PlayerPid { get; init; }

    public int VmPid { get; init; }

    public int? Width { get; init; }

    public int? Height { get; init; }

    public int? Dpi { get; init; }
}
