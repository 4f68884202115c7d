using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Profiles;

namespace LdFleet.LdConsoleSim.State;

/// <summary>One existing instance: its config (source of truth for title and resolution) plus runtime data.</summary>
internal sealed class Instance
{
    public Instance(int index, JsonObject config, InstanceRuntime runtime, InstancePhase phase)
    {
        Index = index;
        Config = config;
        Runtime = runtime;
        Phase = phase;
    }

    public int Index { get; }

    public JsonObject Config { get; }

    public InstanceRuntime Runtime { get; }

    /// <summary>Phase at the start of this call.</summary>
    public InstancePhase Phase { get; }

    public bool IsRunning => Phase != InstancePhase.Stopped;

    public string Title => ConfigKeys.GetString(Config, ConfigKeys.PlayerName) ?? string.Empty;

    public (int Width, int Height, int Dpi) Resolution(Profile profile)
    {
        var fallback = profile.DefaultResolution;
        var size = ConfigKeys.GetResolution(Config);
        return (
            size?.Width ?? fallback.Width,
            size?.Height ?? fallback.Height,
            ConfigKeys.GetInt(Config, ConfigKeys.ResolutionDpi) ?? fallback.Dpi);
    }
}
