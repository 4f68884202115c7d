namespace LdFleet.LdConsoleSim.State;

/// <summary>Persisted as <c>sim/settings.json</c>; written by <c>sim:init</c>.</summary>
internal sealed class SimSettings
{
    public const int DefaultBootDelayMs = 15_000;
    public const int DefaultAdbDelayMs = 10_000;
    public const string DefaultTitlePrefix = "LDPlayer";

    /// <summary><c>LD4</c>, <c>LD9</c> or <c>LD14</c>.</summary>
    public string Profile { get; set; } = "LD9";

    /// <summary><c>utf8</c> or <c>gbk</c>: the encoding of every stdout byte (§3.5).</summary>
    public string Encoding { get; set; } = "utf8";

    /// <summary>Launch → list2 state 1 ("entered Android"). PIDs and handles exist from the launch on.</summary>
    public int BootDelayMs { get; set; } = DefaultBootDelayMs;

    /// <summary>State 1 → ADB answers (§4.3: col 4 flips about 10 s before ADB works).</summary>
    public int AdbDelayMs { get; set; } = DefaultAdbDelayMs;

    /// <summary>Default title base: instance 0 is the prefix itself, others <c>prefix-N</c> (§4.6).</summary>
    public string TitlePrefix { get; set; } = DefaultTitlePrefix;
}
