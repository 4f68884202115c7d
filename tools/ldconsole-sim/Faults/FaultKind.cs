namespace LdFleet.LdConsoleSim.Faults;

internal enum FaultKind
{
    /// <summary>Never returns; the caller must kill the process (§4.7 timeouts).</summary>
    Hang,

    /// <summary>Half the output, a stderr message, exit 134; state changes are not committed.</summary>
    Crash,

    /// <summary>Random bytes on stdout, rc 0; the command itself does not run.</summary>
    Garbage,

    /// <summary>Boot delay × 10 for the launches it hits.</summary>
    SlowBoot,

    /// <summary>§4.8: launch/quit do nothing but exit 0; list2/runninglist/isrunning show everything stopped.</summary>
    Session0,

    /// <summary>§2.2: list2 prints nothing with rc 0 although instances exist.</summary>
    EmptyList2,
}
