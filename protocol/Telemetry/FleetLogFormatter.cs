using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Parsing;

namespace LdFleet.Protocol.Telemetry;

/// <summary>
/// The human-readable console line: time, level, category and event id (as the default console logger shows
/// them, which scripts and tests grep for), the message, then the command context every line carries when there
/// is one: <c>op=… site=… host=… cmd=…</c>, and the trace id.
/// </summary>
internal sealed class FleetLogFormatter : ITextFormatter
{
    // Property names as the log scopes and the LoggerMessage templates spell them; first is shown first.
    private static readonly (string Property, string Label)[] Context =
    [
        ("OperationId", "op"),
        ("SiteId", "site"),
        ("HostId", "host"),
        ("CommandId", "cmd"),
    ];

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        output.Write(logEvent.Timestamp.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture));
        output.Write(' ');
        output.Write(Level(logEvent.Level));
        output.Write(": ");
        if (logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string category })
        {
            output.Write(category);
        }

        if (logEvent.Properties.TryGetValue("EventId", out var eventId) && eventId is StructureValue id
            && id.Properties.FirstOrDefault(p => p.Name == "Id")?.Value is ScalarValue { Value: int number })
        {
            output.Write('[');
            output.Write(number.ToString(CultureInfo.InvariantCulture));
            output.Write(']');
        }

        output.Write(' ');
        RenderMessage(logEvent, output);
        var first = true;
        foreach (var (property, label) in Context)
        {
            if (logEvent.Properties.TryGetValue(property, out var value) && value is ScalarValue { Value: { } scalar })
            {
                output.Write(first ? " {" : " ");
                output.Write(label);
                output.Write('=');
                output.Write(Convert.ToString(scalar, CultureInfo.InvariantCulture));
                first = false;
            }
        }

        if (logEvent.TraceId is { } trace)
        {
            output.Write(first ? " {trace=" : " trace=");
            output.Write(trace.ToHexString());
            first = false;
        }

        output.Write(first ? "" : "}");
        output.WriteLine();
        if (logEvent.Exception is not null)
        {
            output.WriteLine(logEvent.Exception.ToString());
        }
    }

    /// <summary>The message with string values unquoted, as the default console logger shows them (and scripts grep for).</summary>
    private static void RenderMessage(LogEvent logEvent, TextWriter output)
    {
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken property && logEvent.Properties.TryGetValue(property.PropertyName, out var value) && value is ScalarValue { Value: string text })
            {
                output.Write(text);
            }
            else
            {
                token.Render(logEvent.Properties, output, CultureInfo.InvariantCulture);
            }
        }
    }

    private static string Level(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "trce",
        LogEventLevel.Debug => "dbug",
        LogEventLevel.Information => "info",
        LogEventLevel.Warning => "warn",
        LogEventLevel.Error => "fail",
        _ => "crit",
    };
}
