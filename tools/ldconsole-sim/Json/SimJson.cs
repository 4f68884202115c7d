using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace LdFleet.LdConsoleSim.Json;

/// <summary>Serialization helpers that keep non-ASCII titles readable (raw UTF-8, like LDPlayer's own config files).</summary>
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
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions(indented)))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }

        return buffer.ToArray();
    }

    public static byte[] Serialize(JsonNode node, bool indented)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions(indented)))
        {
            node.WriteTo(writer);
        }

        return buffer.ToArray();
    }

    public static JsonObject ParseObject(byte[] bytes) =>
        JsonNode.Parse(bytes, documentOptions: ReadOptions) as JsonObject
        ?? throw new JsonException("expected a JSON object");

    public static JsonWriterOptions WriterOptions(bool indented) => new()
    {
        Indented = indented,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
