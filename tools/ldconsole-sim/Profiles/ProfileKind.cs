namespace LdFleet.LdConsoleSim.Profiles;

/// <summary>LDPlayer generation whose ldconsole quirks are reproduced (reference §1.2).</summary>
internal enum ProfileKind
{
    LD4,
    LD9,
    LD14,
}
