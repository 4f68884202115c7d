using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Profiles;

namespace LdFleet.LdConsoleSim.State;

/// <summary>Builds <c>leidian&lt;N&gt;.config</c> objects with the keys observed in real installs (§4.9).</summary>
internal static class InstanceConfigFactory
{
    /// <summary>A fully configured instance, as created by <c>sim:init</c> (like instances made with the manager GUI).</summary>
    public static JsonObject CreateFull(Profile profile, string title)
    {
        var config = CreateMinimal(title);
        var (width, height, dpi) = profile.DefaultResolution;
        config[ConfigKeys.RootMode] = false;
        config[ConfigKeys.AutoRotate] = false;
        config[ConfigKeys.LockWindow] = false;
        config["basicSettings.isForceLandscape"] = false;
        config["basicSettings.fps"] = 60;
        config["basicSettings.astc"] = true;
        config["basicSettings.verticalSync"] = false;
        config[ConfigKeys.Resolution] = new JsonObject { ["width"] = width, ["height"] = height };
        config[ConfigKeys.ResolutionDpi] = dpi;
        config[ConfigKeys.CpuCount] = 2;
        config[ConfigKeys.MemorySize] = 2048;
        config["advancedSettings.micphoneName"] = string.Empty;
        config["advancedSettings.speakerName"] = string.Empty;
        return config;
    }

    /// <summary>
    /// What <c>add</c> writes: §4.2 says a freshly added instance lacks <c>advancedSettings.*</c> and
    /// several <c>basicSettings.*</c> keys until <c>modify</c> writes them; list2 then shows the
    /// profile's default resolution.
    /// </summary>
    public static JsonObject CreateMinimal(string title) => new()
    {
        [ConfigKeys.Imei] = Identity.Imei(),
        [ConfigKeys.Imsi] = Identity.Imsi(),
        [ConfigKeys.SimSerial] = Identity.SimSerial(),
        [ConfigKeys.AndroidId] = Identity.AndroidId(),
        [ConfigKeys.Model] = "ASUS_Z01QD",
        [ConfigKeys.Manufacturer] = "asus",
        [ConfigKeys.MacAddress] = Identity.Mac(),
        [ConfigKeys.PhoneNumber] = Identity.PhoneNumber(),
        [ConfigKeys.PlayerName] = title,
        ["statusSettings.closeOption"] = 0,
        ["statusSettings.sharedApplications"] = string.Empty,
        ["statusSettings.sharedPictures"] = string.Empty,
        ["statusSettings.sharedMisc"] = string.Empty,
        ["basicSettings.left"] = 0,
        ["basicSettings.top"] = 0,
        ["basicSettings.width"] = 0,
        ["basicSettings.height"] = 0,
        ["basicSettings.realWidth"] = 0,
        ["basicSettings.realHeigh"] = 0,
        ["basicSettings.autoRun"] = false,
        ["basicSettings.adbDebug"] = 1,
        ["networkSettings.networkEnable"] = true,
        ["networkSettings.networkSwitching"] = false,
        ["networkSettings.networkStatic"] = false,
        ["networkSettings.networkAddress"] = "0.0.0.0",
        ["networkSettings.networkGateway"] = "0.0.0.0",
        ["networkSettings.networkSubnetMask"] = "255.255.255.0",
        ["networkSettings.networkDNS1"] = "8.8.8.8",
        ["networkSettings.networkDNS2"] = "8.8.4.4",
        ["networkSettings.networkInterface"] = string.Empty,
    };

    /// <summary><c>vms/config/leidians.config</c> defaults (§4.9; batchStartInterval 5 as in pyldplayer's model).</summary>
    public static JsonObject CreateGlobal() => new()
    {
        ["framesPerSecond"] = 60,
        ["reduceAudio"] = false,
        ["fastPlay"] = false,
        ["cleanMode"] = false,
        ["languageId"] = "en",
        ["productLanguageId"] = "en",
        ["windowsAlignType"] = 0,
        ["windowsRowCount"] = 0,
        ["windowsOrigin"] = new JsonObject { ["x"] = 0, ["y"] = 0 },
        ["windowsOffset"] = new JsonObject { ["x"] = 30, ["y"] = 30 },
        ["batchStartInterval"] = 5,
        ["batchNewCount"] = 1,
        ["batchCloneCount"] = 1,
        ["multiPlayerSort"] = 0,
        ["isSSD"] = false,
    };
}
