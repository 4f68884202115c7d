namespace LdFleet.Protocol.Commands;

/// <summary>The actions a relay can execute. Values are the ldconsole command names.</summary>
public static class EmulatorActions
{
    public const string Launch = "launch";
    public const string Quit = "quit";

    /// <summary>Every action this protocol version knows.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal) { Launch, Quit };
}
