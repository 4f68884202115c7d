namespace LdFleet.LdConsoleSim.State;

/// <summary>Lifecycle phase derived from the launch timestamp and the virtual clock (§4.3).</summary>
internal enum InstancePhase
{
    Stopped,

    /// <summary>Processes and windows exist (PIDs, handles set) but list2 column 4 is still 0.</summary>
    Booting,

    /// <summary>list2 column 4 is 1, yet ADB does not answer (it lags about 10 s on real machines).</summary>
    AndroidStarted,

    /// <summary>ADB answers, <c>sys.boot_completed</c> is 1, guest commands work.</summary>
    Ready,
}
