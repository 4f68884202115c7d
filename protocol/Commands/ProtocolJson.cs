using System.Text.Json;
using System.Text.Json.Serialization;

namespace LdFleet.Protocol.Commands;

/// <summary>The one JSON shape both sides use for messages: camelCase, enums as strings.</summary>
public static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    public static BinaryData Serialize<T>(T value) => BinaryData.FromObjectAsJson(value, Options);

    /// <summary>Deserializes a message body, returning null with a reason when it is not a valid <typeparamref name="T"/>.</summary>
    public static T? TryDeserialize<T>(BinaryData body, out string? error)
        where T : class
    {
        try
        {
            var value = body.ToObjectFromJson<T>(Options);
            error = value is null ? "The message body is JSON null." : null;
            return value;
        }
        catch (JsonException ex)
        {
            error = $"The message body is not a valid {typeof(T).Name}: {ex.Message}";
            return null;
        }
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            RespectRequiredConstructorParameters = true,
            RespectNullableAnnotations = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
