using System.Text.Json;
using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Json;

namespace LdFleet.LdConsoleSim.State;

/// <summary>Loads and saves <c>sim/state.json</c>. Callers hold the <see cref="SimLock"/>.</summary>
internal sealed class StateStore
{
    private readonly SimPaths _paths;
    private byte[]? _loadedBytes;

    public StateStore(SimPaths paths)
    {
        _paths = paths;
    }

    public SimState Load()
    {
        _loadedBytes = AtomicFile.TryReadAllBytes(_paths.State);
        if (_loadedBytes is null)
        {
            return new SimState();
        }

        try
        {
            return StateJson.Read(SimJson.ParseObject(_loadedBytes));
        }
        catch (JsonException ex)
        {
            throw new SimUsageException("invalid " + _paths.State + ": " + ex.Message, ex);
        }
    }

    /// <summary>Writes only when something changed, so read-only commands (list2 polling) stay cheap.</summary>
    public void Save(SimState state)
    {
        var bytes = SimJson.Serialize(StateJson.Write(state), indented: true);
        if (_loadedBytes is not null && bytes.AsSpan().SequenceEqual(_loadedBytes))
        {
            return;
        }

        AtomicFile.WriteAllBytes(_paths.State, bytes);
        _loadedBytes = bytes;
    }
}
