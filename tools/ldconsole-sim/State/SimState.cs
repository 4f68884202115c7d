namespace LdFleet.LdConsoleSim.State;

/// <summary>
/// Runtime state persisted as <c>sim/state.json</c>. Nothing runs in the background: phases are
/// derived on every call from launch timestamps and the virtual clock.
/// </summary>
internal sealed class SimState
{
    /// <summary>Added to the real UTC clock; grown by <c>sim:advance</c> so tests never sleep.</summary>
    public long ClockOffsetMs { get; set; }

    /// <summary>Windows PIDs are multiples of 4; handed out monotonically so every launch gets new ones.</summary>
    public int NextPid { get; set; } = 4_120;

    public long NextHwnd { get; set; } = 1_181_016;

    public Dictionary<int, InstanceRuntime> Instances { get; set; } = [];
}

/// <summary>Per-instance runtime data; kept when stopped (packages, props), cleared on remove.</summary>
internal sealed class InstanceRuntime
{
    /// <summary>Virtual-clock time of the last launch/reboot; null while stopped.</summary>
    public long? LaunchedAtMs { get; set; }

    /// <summary>Boot delay fixed at launch time (so a later settings change or slow-boot fault does not move it).</summary>
    public int BootDelayMs { get; set; }

    public int AdbDelayMs { get; set; }

    public long TopHwnd { get; set; }

    public long BindHwnd { get; set; }

    public int PlayerPid { get; set; }

    public int VboxPid { get; set; }

    public List<string> Packages { get; set; } = [];

    public List<string> RunningApps { get; set; } = [];

    /// <summary>Package started by <c>launchex</c> or <c>action call.reboot</c> once the guest is ready.</summary>
    public string? PendingApp { get; set; }

    /// <summary>Properties set by <c>setprop</c>; they override the built-in ones.</summary>
    public Dictionary<string, string> Props { get; set; } = [];

    public int? CpuRate { get; set; }

    public string? Location { get; set; }

    public string? Network { get; set; }

    public string? LastAction { get; set; }
}
