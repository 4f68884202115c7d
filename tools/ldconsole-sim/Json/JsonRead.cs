using System.Globalization;
using System.Text.Json.Nodes;

namespace LdFleet.LdConsoleSim.Json;

/// <summary>Lenient typed reads from a <see cref="JsonObject"/> (missing or mistyped → fallback).</summary>
internal static class JsonRead
{
    public static long? Long(JsonObject obj, string key) =>
        obj[key] is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;

    public static int? Int(JsonObject obj, string key) =>
        obj[key] is JsonValue value && value.TryGetValue<int>(out var number) ? number : null;

    public static string? String(JsonObject obj, string key) =>
        obj[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static List<string> StringList(JsonObject obj, string key)
    {
        var list = new List<string>();
        if (obj[key] is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is JsonValue value && value.TryGetValue<string>(out var text))
                {
                    list.Add(text);
                }
            }
        }

        return list;
    }

    public static Dictionary<string, string> StringMap(JsonObject obj, string key)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj[key] is JsonObject inner)
        {
            foreach (var (name, node) in inner)
            {
                if (node is JsonValue value && value.TryGetValue<string>(out var text))
                {
                    map[name] = text;
                }
            }
        }

        return map;
    }

    public static JsonArray ToArray(IEnumerable<string> items)
    {
        var array = new JsonArray();
        foreach (var item in items)
        {
            array.Add((JsonNode?)JsonValue.Create(item));
        }

        return array;
    }

    public static JsonObject ToObject(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in pairs)
        {
            obj[key] = value;
        }

        return obj;
    }

    public static string Key(int index) => index.ToString(CultureInfo.InvariantCulture);
}
