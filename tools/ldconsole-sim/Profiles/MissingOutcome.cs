namespace LdFleet.LdConsoleSim.Profiles;

internal enum MissingReaction
{
    /// <summary>No output at all.</summary>
    Silent,

    /// <summary>stdout <c>player don't exist!</c>.</summary>
    PlayerNotExist,

    /// <summary>The whole usage text on stdout.</summary>
    Usage,
}

internal readonly record struct MissingOutcome(MissingReaction Reaction, int ExitCode);
