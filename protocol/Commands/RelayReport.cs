using System.Text.Json.Serialization;

namespace LdFleet.Protocol.Commands;

/// <summary>Anything a relay sends to the cloud on the results queue.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(CommandResult), "result")]
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

    /// <summary>W3C trace context, carried back from the command.</summary>
    public string? TraceParent { get; init; }
}
