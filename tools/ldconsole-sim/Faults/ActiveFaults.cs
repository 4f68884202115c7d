namespace LdFleet.LdConsoleSim.Faults;

/// <summary>The faults that fired for this call.</summary>
internal sealed class ActiveFaults
{
    public static readonly ActiveFaults None = new(null, []);

    public ActiveFaults(FaultKind? takeover, IReadOnlyCollection<FaultKind> fired)
    {
        Takeover = takeover;
        Fired = fired;
    }

    /// <summary>hang, crash or garbage: replaces the normal run of the command.</summary>
    public FaultKind? Takeover { get; }

    public IReadOnlyCollection<FaultKind> Fired { get; }

    public bool SlowBoot => Fired.Contains(FaultKind.SlowBoot);

    public bool Session0 => Fired.Contains(FaultKind.Session0);

    public bool EmptyList2 => Fired.Contains(FaultKind.EmptyList2);

    public IReadOnlyList<string> Names => [.. Fired.Select(FaultNames.Format)];
}
