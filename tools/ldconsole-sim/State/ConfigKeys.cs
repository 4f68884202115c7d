using System.Globalization;
using System.Text.Json.Nodes;

namespace LdFleet.LdConsoleSim.State;

/// <summary>
/// Flat dotted keys of <c>vms/config/leidian&lt;N&gt;.config</c> (reference §4.9): the key literally
/// is <c>"advancedSettings.cpuCount"</c>, not a nested path.
/// </summary>
internal static class ConfigKeys
{
    public const string PlayerName = "statusSettings.playerName";
    public const string Resolution = "advancedSettings.resolution";
    public const string ResolutionDpi = "advancedSettings.resolutionDpi";
    public const string CpuCount = "advancedSettings.cpuCount";
    public const string MemorySize = "advancedSettings.memorySize";
    public const string Manufacturer = "propertySettings.phoneManufacturer";
    public const string Model = "propertySettings.phoneModel";
    public const string PhoneNumber = "propertySettings.phoneNumber";
    public const string Imei = "propertySettings.phoneIMEI";
    public const string Imsi = "propertySettings.phoneIMSI";
    public const string SimSerial = "propertySettings.phoneSimSerial";
    public const string AndroidId = "propertySettings.phoneAndroidId";
    public const string MacAddress = "propertySettings.macAddress";
    public const string RootMode = "basicSettings.rootMode";
    public const string AutoRotate = "basicSettings.autoRotate";
    public const string LockWindow = "basicSettings.lockWindow";

    public static string? GetString(JsonObject config, string key) =>
        config[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static int? GetInt(JsonObject config, string key) => AsInt(config[key]);

    /// <summary>Width/height from the nested resolution object; null when the key is absent (§4.2 fresh <c>add</c>).</summary>
    public static (int Width, int Height)? GetResolution(JsonObject config) =>
        config[Resolution] is JsonObject resolution
        && AsInt(resolution["width"]) is { } width
        && AsInt(resolution["height"]) is { } height
            ? (width, height)
            : null;

    private static int? AsInt(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<int>(out var number))
        {
            return number;
        }

        return value.TryGetValue<string>(out var text) && int.TryParse(text, CultureInfo.InvariantCulture, out number)
            ? number
            : null;
    }
}
