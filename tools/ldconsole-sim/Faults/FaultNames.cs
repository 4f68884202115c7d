using LdFleet.LdConsoleSim.Cli;

namespace LdFleet.LdConsoleSim.Faults;

internal static class FaultNames
{
    public static string Format(FaultKind kind) => kind switch
    {
        FaultKind.Hang => "hang",
        FaultKind.Crash => "crash",
        FaultKind.Garbage => "garbage",
        FaultKind.SlowBoot => "slow-boot",
        FaultKind.Session0 => "session0",
        _ => "empty-list2",
    };

    public static FaultKind Parse(string text) => TryParse(text) ?? throw new SimUsageException(
        "unknown fault kind '" + text + "' (expected hang, crash, garbage, slow-boot, session0 or empty-list2)");

    public static FaultKind? TryParse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "hang" => FaultKind.Hang,
        "crash" => FaultKind.Crash,
        "garbage" => FaultKind.Garbage,
        "slow-boot" or "slowboot" => FaultKind.SlowBoot,
        "session0" => FaultKind.Session0,
        "empty-list2" => FaultKind.EmptyList2,
        _ => null,
    };

    /// <summary>
    /// Which ldconsole commands a kind can hit (and be counted against). hang/crash/garbage hit any
    /// command; the behavioural kinds only the commands they change.
    /// </summary>
    public static bool AppliesTo(FaultKind kind, string command) => kind switch
    {
        FaultKind.SlowBoot => command is "launch" or "launchex" or "reboot",
        FaultKind.Session0 => command is "launch" or "launchex" or "quit" or "quitall" or "reboot"
            or "list2" or "runninglist" or "isrunning",
        FaultKind.EmptyList2 => command is "list2",
        _ => true,
    };
}
