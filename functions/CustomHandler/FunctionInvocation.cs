using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LdFleet.Functions.CustomHandler;

/// <summary>
/// What the Functions host POSTs to <c>/{functionName}</c> for a non-HTTP trigger:
/// <c>{ "Data": { bindingName: value }, "Metadata": { ... , "sys": { ... } } }</c> (shared reference C.3).
/// </summary>
internal sealed record FunctionInvocation(IReadOnlyDictionary<string, JsonElement> Data, IReadOnlyDictionary<string, JsonElement> Metadata)
{
    /// <summary>The trigger's value: the only entry of Data, whatever the binding is named in function.json.</summary>
    public JsonElement? Trigger => Data.Count == 1 ? Data.Values.First() : Data.Values.Cast<JsonElement?>().FirstOrDefault();

    /// <summary>A metadata number the host may send as a number or as a string.</summary>
    public long? MetadataNumber(string name) =>
        Metadata.TryGetValue(name, out var value) switch
        {
            false => null,
            true when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) => n,
            true when value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };

    public string? MetadataString(string name) =>
        Metadata.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>
    /// The message body of a queue or Service Bus trigger as text. The host serializes values loosely
    /// (reference C.3): a JSON body can arrive as an object, as a string, or as a string holding a JSON string
    /// (double-encoded); a queue message the host did not base64-decode arrives as base64. Each form is unwrapped
    /// once; null when there is no usable body.
    /// </summary>
    public static string? MessageText(JsonElement? value)
    {
        switch (value?.ValueKind)
        {
            case JsonValueKind.Object or JsonValueKind.Array:
                return value.Value.GetRawText();
            case JsonValueKind.String:
                var text = value.Value.GetString() ?? "";
                if (text.StartsWith('"'))
                {
                    try
                    {
                        text = JsonSerializer.Deserialize<string>(text) ?? "";
                    }
                    catch (JsonException)
                    {
                        return text;
                    }
                }

                var trimmed = text.AsSpan().Trim();
                if (trimmed.Length > 0 && trimmed[0] is not ('{' or '[') && Base64.IsValid(trimmed, out _))
                {
                    var bytes = Convert.FromBase64String(trimmed.ToString());
                    var decoded = Encoding.UTF8.GetString(bytes);
                    if (decoded.TrimStart().StartsWith('{'))
                    {
                        return decoded;
                    }
                }

                return text;
            default:
                return null;
        }
    }
}

/// <summary>
/// The answer to an invocation: <c>{ "Outputs": {}, "Logs": [...], "ReturnValue": ... }</c>. A failed one is
/// answered with a non-2xx status, which is how the host learns it failed (it ignores the body then) and
/// applies the trigger's retry rule.
/// </summary>
internal sealed record FunctionResult(bool Succeeded, object? ReturnValue, IReadOnlyList<string> Logs)
{
    public static FunctionResult Success(object? returnValue, params string[] logs) => new(true, returnValue, logs);

    public static FunctionResult Failure(params string[] logs) => new(false, null, logs);
}
