using System.Diagnostics;

namespace LdFleet.Protocol.Telemetry;

/// <summary>
/// The names both processes trace and measure under, so one pipeline configuration (and one query in the
/// backend) covers the cloud app and every relay.
/// </summary>
public static class FleetTelemetry
{
    /// <summary>The <see cref="ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/> name of LdFleet's own spans and metrics.</summary>
    public const string Name = "LdFleet";

    /// <summary>The one source of LdFleet's spans (a static source is the .NET convention: listeners subscribe by name).</summary>
    public static ActivitySource Source { get; } = new(Name, typeof(FleetTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Span attribute and log property names.</summary>
    public static class Tags
    {
        public const string OperationId = "ldfleet.operation.id";
        public const string CommandId = "ldfleet.command.id";
        public const string SiteId = "ldfleet.site.id";
        public const string HostId = "ldfleet.host.id";
        public const string Action = "ldfleet.action";
        public const string Workflow = "ldfleet.workflow";
        public const string Outcome = "ldfleet.outcome";
        public const string Status = "ldfleet.status";
        public const string ExitCode = "process.exit.code";
        public const string DurationMs = "ldfleet.duration_ms";
        public const string MessagingSystem = "messaging.system";
        public const string MessagingDestination = "messaging.destination.name";
        public const string MessagingOperation = "messaging.operation.type";
    }

    /// <summary>
    /// Starts a span whose parent is the remote context in <paramref name="traceParent"/> (a command's or a
    /// report's), or the current span when the message carries none (messages from older senders).
    /// </summary>
    public static Activity? StartFromMessage(string name, ActivityKind kind, string? traceParent, string? traceState)
    {
        return TraceContext.TryParse(traceParent, traceState, out var parent)
            ? Source.StartActivity(name, kind, parent)
            : Source.StartActivity(name, kind);
    }
}

/// <summary>The W3C trace context as carried in message envelopes (<c>traceParent</c>, <c>traceState</c>).</summary>
public static class TraceContext
{
    /// <summary>The context of <paramref name="activity"/> to put on a message; nulls without a W3C activity.</summary>
    public static (string? TraceParent, string? TraceState) Capture(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? (activity.Id, activity.TraceStateString) : (null, null);

    /// <summary>Parses a carried context; false (and a default context) for a missing or malformed one.</summary>
    public static bool TryParse(string? traceParent, string? traceState, out ActivityContext context)
    {
        context = default;
        return !string.IsNullOrEmpty(traceParent) && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out context);
    }
}
