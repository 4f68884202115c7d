using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Faults;
using LdFleet.LdConsoleSim.Output;
using LdFleet.LdConsoleSim.Profiles;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary>Everything one ldconsole command needs: the world, its arguments, fired faults and the output buffer.</summary>
internal sealed class CommandContext
{
    public CommandContext(SimWorld world, ParsedArgs args, ActiveFaults faults)
    {
        World = world;
        Args = args;
        Faults = faults;
    }

    public SimWorld World { get; }

    public ParsedArgs Args { get; }

    public ActiveFaults Faults { get; }

    public ConsoleOutput Out { get; } = new();

    public Profile Profile => World.Profile;
}
