using LdFleet.LdConsoleSim.Faults;

namespace LdFleet.LdConsoleSim.State;

/// <summary>What <c>sim:state</c> prints: effective settings, derived phases and pending faults.</summary>
internal sealed class StateView
{
    public required string NowUtc { get; init; }

    public long ClockOffsetMs { get; init; }

    public required string Profile { get; init; }

    public required string Encoding { get; init; }

    public int BootDelayMs { get; init; }

    public int AdbDelayMs { get; init; }

    public required string TitlePrefix { get; init; }

    public required IReadOnlyList<InstanceView> Instances { get; init; }

    public required IReadOnlyList<FaultEntry> Faults { get; init; }
}

internal sealed class InstanceView
{
    public int Index { get; init; }

    public required string Title { get; init; }

    /// <summary>stopped, booting, android-started or ready.</summary>
    public required string Phase { get; init; }

    public string? LaunchedAtUtc { get; init; }

    public int BootDelayMs { get; init; }

    public int AdbDelayMs { get; init; }

    public int PlayerPid { get; init; }

    public int VboxPid { get; init; }

    public long TopHwnd { get; init; }

    public long BindHwnd { get; init; }

    public int Width { get; init; }

    public int Height { get; init; }

    public int Dpi { get; init; }

    public required string AdbSerial { get; init; }

    public required IReadOnlyList<string> Packages { get; init; }

    public required IReadOnlyList<string> RunningApps { get; init; }

    public required IReadOnlyDictionary<string, string> Props { get; init; }

    public int? CpuRate { get; init; }

    public string? Location { get; init; }

    public string? Network { get; init; }

    public string? LastAction { get; init; }
}
