using System.Globalization;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary>The simulated Android guest: serial, packages and properties.</summary>
internal static class Guest
{
    /// <summary>A few packages every image has; <c>pm list packages</c> lists them before installed ones.</summary>
    public static readonly IReadOnlyList<string> SystemPackages =
    [
        "android",
        "com.android.settings",
        "com.android.launcher3",
        "com.android.webview",
        "com.android.vending",
    ];

    /// <summary>§4.1: <c>emulator-(5554 + 2N)</c> per LDPlayer's LD9 ADB help page.</summary>
    public static string AdbSerial(int index) =>
        "emulator-" + (5554 + (2 * index)).ToString(CultureInfo.InvariantCulture);

    public static bool IsInstalled(Instance instance, string package) =>
        SystemPackages.Contains(package) || instance.Runtime.Packages.Contains(package);

    /// <summary>Built-in properties (derived from config and phase) overlaid by <c>setprop</c> values.</summary>
    public static SortedDictionary<string, string> Properties(SimWorld world, Instance instance)
    {
        var config = instance.Config;
        var props = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["ro.build.version.release"] = world.Profile.AndroidRelease,
            ["ro.build.version.sdk"] = world.Profile.SdkLevel,
            ["ro.product.manufacturer"] = ConfigKeys.GetString(config, ConfigKeys.Manufacturer) ?? string.Empty,
            ["ro.product.model"] = ConfigKeys.GetString(config, ConfigKeys.Model) ?? string.Empty,
            ["ro.serialno"] = AdbSerial(instance.Index),
            ["sys.boot_completed"] = instance.Phase == InstancePhase.Ready ? "1" : string.Empty,
            ["phone.imei"] = ConfigKeys.GetString(config, ConfigKeys.Imei) ?? string.Empty,
            ["phone.imsi"] = ConfigKeys.GetString(config, ConfigKeys.Imsi) ?? string.Empty,
            ["phone.simserial"] = ConfigKeys.GetString(config, ConfigKeys.SimSerial) ?? string.Empty,
            ["phone.androidid"] = ConfigKeys.GetString(config, ConfigKeys.AndroidId) ?? string.Empty,
            ["phone.number"] = ConfigKeys.GetString(config, ConfigKeys.PhoneNumber) ?? string.Empty,
        };
        foreach (var (key, value) in instance.Runtime.Props)
        {
            props[key] = value;
        }

        return props;
    }
}
