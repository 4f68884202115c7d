namespace LdFleet.Protocol.Commands;

/// <summary>
/// One instruction for a relay: run one ldconsole action against one emulator on one host.
/// Commands are idempotent by <see cref="CommandId"/>: a relay that sees an id again answers from its record.
/// </summary>
public sealed record EmulatorCommand
{
    /// <summary>Version of this contract; relays reject versions they do not know.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>Unique id: operation id, step and attempt. Unguessable because the operation id is.</summary>
    public required string CommandId { get; init; }

    /// <summary>The operation this command belongs to.</summary>
    public required string OperationId { get; init; }

    /// <summary>The site whose relay must execute the command.</summary>
    public required string SiteId { get; init; }

    /// <summary>The LDPlayer host on that site.</summary>
    public required string HostId { get; init; }

    /// <summary>What to do, one of <see cref="EmulatorActions"/>.</summary>
    public required string Action { get; init; }

    /// <summary>The emulator's index on the host (LDPlayer's stable address; titles can repeat).</summary>
    public int? Index { get; init; }

    /// <summary>Action-specific arguments (for example a package name).</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>When the cloud issued the command.</summary>
    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>A relay that receives the command after this instant must not execute it (it answers Expired).</summary>
    public required DateTimeOffset DeliverBy { get; init; }

    /// <summary>How long the relay may spend executing it.</summary>
    public TimeSpan ExecutionTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// W3C <c>traceparent</c> of the span that sent the command, so one trace spans cloud and relay. Optional:
    /// commands from senders without tracing have none and start a new trace on the relay.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>W3C <c>tracestate</c> that goes with <see cref="TraceParent"/>; optional.</summary>
    public string? TraceState { get; init; }
}
