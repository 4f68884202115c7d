using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace LdFleet.LdConsoleSim.Json;

/// <summary>JSON helpers shared by the simulator's files.</summary>
internal static class SimJson
{
    public static readonly JsonDocumentOptions ReadOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> typeInfo, bool indented)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions(indented, relaxedEscaping: true)))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// <paramref name="relaxedEscaping"/> writes non-ASCII titles as raw UTF-8, as LDPlayer's own
    /// config files do. Simulator-private files skip it: the relaxed encoder's initialisation costs
    /// measurable startup time on every call, and <c>\uXXXX</c> escapes read back identically.
    /// </summary>
    public static byte[] Serialize(JsonNode node, bool indented, bool relaxedEscaping = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions(indented, relaxedEscaping)))
        {
            node.WriteTo(writer);
        }

        return buffer.ToArray();
    }

    public static JsonObject ParseObject(byte[] bytes) =>
        JsonNode.Parse(bytes, documentOptions: ReadOptions) as JsonObject
        ?? throw new JsonException("expected a JSON object");

    public static JsonWriterOptions WriterOptions(bool indented, bool relaxedEscaping) => new()
    {
        Indented = indented,
        Encoder = relaxedEscaping ? JavaScriptEncoder.UnsafeRelaxedJsonEscaping : null,
    };
}
