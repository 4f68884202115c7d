using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OpenTelemetry;

namespace LdFleet.Protocol.Telemetry;

/// <summary>
/// Appends finished spans to a file, one JSON object a line (trace id, span id, parent span id, name, kind,
/// start, duration, status, attributes, service). For local debugging without a collector (<c>jq</c> reads it),
/// and for the end-to-end trace test.
/// </summary>
/// <remarks>
/// Why a file and not an in-test OTLP receiver: the OTLP exporter speaks protobuf, and decoding it in a test would
/// need a protobuf package and the OTLP schema in the repository; a file both processes append to is enough to
/// check the span chain and is useful on its own. Several processes may share one file: each batch is written
/// with one append of whole lines.
/// </remarks>
internal sealed class JsonLinesSpanExporter : BaseExporter<Activity>
{
    private readonly string _path;
    private readonly string _service;
    private readonly object _gate = new();

    public JsonLinesSpanExporter(string path, string service)
    {
        _path = Path.GetFullPath(path);
        _service = service;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
    }

    public override ExportResult Export(in Batch<Activity> batch)
    {
        var text = new StringBuilder();
        foreach (var activity in batch)
        {
            text.Append(Line(activity)).Append('\n');
        }

        try
        {
            lock (_gate)
            {
                using var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                var bytes = Encoding.UTF8.GetBytes(text.ToString());
                file.Write(bytes);
            }

            return ExportResult.Success;
        }
        catch (IOException)
        {
            // A debugging aid must not take the process down; the batch is dropped as an unreachable collector's would be.
            return ExportResult.Failure;
        }
    }

    private string Line(Activity activity)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("traceId", activity.TraceId.ToHexString());
            json.WriteString("spanId", activity.SpanId.ToHexString());
            json.WriteString("parentSpanId", activity.ParentSpanId == default ? null : activity.ParentSpanId.ToHexString());
            json.WriteString("name", activity.DisplayName);
            json.WriteString("kind", activity.Kind.ToString());
            json.WriteString("source", activity.Source.Name);
            json.WriteString("service", _service);
            json.WriteString("start", activity.StartTimeUtc.ToString("O", CultureInfo.InvariantCulture));
            json.WriteNumber("durationMs", activity.Duration.TotalMilliseconds);
            json.WriteString("status", activity.Status.ToString());
            json.WriteStartObject("attributes");
            foreach (var tag in activity.TagObjects)
            {
                json.WriteString(tag.Key, Convert.ToString(tag.Value, CultureInfo.InvariantCulture));
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
