using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Json;
using LdFleet.LdConsoleSim.Output;
using LdFleet.LdConsoleSim.Profiles;

namespace LdFleet.LdConsoleSim.State;

/// <summary>settings.json with the LDSIM_* environment overrides applied (environment wins).</summary>
internal sealed record EffectiveSettings(
    ProfileKind Profile,
    OutputEncodingKind Encoding,
    int BootDelayMs,
    int AdbDelayMs,
    string TitlePrefix)
{
    public const string ProfileVariable = "LDSIM_PROFILE";
    public const string EncodingVariable = "LDSIM_ENCODING";
    public const string BootDelayVariable = "LDSIM_BOOT_DELAY_MS";
    public const string AdbDelayVariable = "LDSIM_ADB_DELAY_MS";

    public static EffectiveSettings Load(SimPaths paths)
    {
        var stored = ReadStored(paths);
        return new EffectiveSettings(
            ParseProfile(Environment.GetEnvironmentVariable(ProfileVariable) ?? stored.Profile),
            ParseEncoding(Environment.GetEnvironmentVariable(EncodingVariable) ?? stored.Encoding),
            ParseDelay(Environment.GetEnvironmentVariable(BootDelayVariable), stored.BootDelayMs, BootDelayVariable),
            ParseDelay(Environment.GetEnvironmentVariable(AdbDelayVariable), stored.AdbDelayMs, AdbDelayVariable),
            string.IsNullOrEmpty(stored.TitlePrefix) ? SimSettings.DefaultTitlePrefix : stored.TitlePrefix);
    }

    /// <summary>
    /// settings.json is read on every call, so it is mapped by hand from the JSON DOM: the
    /// serializer's first use would add tens of milliseconds of JIT to each process.
    /// </summary>
    public static SimSettings ReadStored(SimPaths paths)
    {
        var bytes = AtomicFile.TryReadAllBytes(paths.Settings);
        if (bytes is null)
        {
            return new SimSettings();
        }

        try
        {
            var root = SimJson.ParseObject(bytes);
            var defaults = new SimSettings();
            return new SimSettings
            {
                Profile = JsonRead.String(root, "profile") ?? defaults.Profile,
                Encoding = JsonRead.String(root, "encoding") ?? defaults.Encoding,
                BootDelayMs = JsonRead.Int(root, "bootDelayMs") ?? defaults.BootDelayMs,
                AdbDelayMs = JsonRead.Int(root, "adbDelayMs") ?? defaults.AdbDelayMs,
                TitlePrefix = JsonRead.String(root, "titlePrefix") ?? defaults.TitlePrefix,
            };
        }
        catch (JsonException ex)
        {
            throw new SimUsageException("invalid " + paths.Settings + ": " + ex.Message, ex);
        }
    }

    public static void WriteStored(SimPaths paths, SimSettings settings)
    {
        var root = new JsonObject
        {
            ["profile"] = settings.Profile,
            ["encoding"] = settings.Encoding,
            ["bootDelayMs"] = settings.BootDelayMs,
            ["adbDelayMs"] = settings.AdbDelayMs,
            ["titlePrefix"] = settings.TitlePrefix,
        };
        AtomicFile.WriteAllBytes(paths.Settings, SimJson.Serialize(root, indented: true));
    }

    public static ProfileKind ParseProfile(string text) => text.Trim().ToUpperInvariant() switch
    {
        "LD4" => ProfileKind.LD4,
        "LD9" => ProfileKind.LD9,
        "LD14" => ProfileKind.LD14,
        _ => throw new SimUsageException("unknown profile '" + text + "' (expected LD4, LD9 or LD14)"),
    };

    public static OutputEncodingKind ParseEncoding(string text) => text.Trim().ToLowerInvariant() switch
    {
        "utf8" or "utf-8" => OutputEncodingKind.Utf8,
        "gbk" or "cp936" or "936" => OutputEncodingKind.Gbk,
        _ => throw new SimUsageException("unknown encoding '" + text + "' (expected utf8 or gbk)"),
    };

    public static string FormatProfile(ProfileKind kind) => kind.ToString();

    public static string FormatEncoding(OutputEncodingKind kind) => kind == OutputEncodingKind.Gbk ? "gbk" : "utf8";

    private static int ParseDelay(string? fromEnv, int stored, string variable)
    {
        if (fromEnv is null)
        {
            return stored;
        }

        return int.TryParse(fromEnv, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new SimUsageException(variable + " must be a non-negative integer, got '" + fromEnv + "'");
    }
}
