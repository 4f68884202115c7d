using System.Globalization;
using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Json;

namespace LdFleet.LdConsoleSim.State;

/// <summary>
/// Hand-written mapping of <see cref="SimState"/> to JSON. state.json is read and written on every
/// call, and JsonSerializer's first deserialization of a dictionary-of-objects graph costs tens of
/// milliseconds of JIT per process; the JSON DOM, already needed for the config files, is far cheaper.
/// </summary>
internal static class StateJson
{
    public static SimState Read(JsonObject root)
    {
        var state = new SimState
        {
            ClockOffsetMs = JsonRead.Long(root, "clockOffsetMs") ?? 0,
            NextPid = JsonRead.Int(root, "nextPid") ?? new SimState().NextPid,
            NextHwnd = JsonRead.Long(root, "nextHwnd") ?? new SimState().NextHwnd,
        };
        if (root["instances"] is JsonObject instances)
        {
            foreach (var (key, node) in instances)
            {
                if (node is JsonObject obj && int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    state.Instances[index] = ReadRuntime(obj);
                }
            }
        }

        return state;
    }

    public static JsonObject Write(SimState state)
    {
        var instances = new JsonObject();
        var indexes = new List<int>(state.Instances.Keys);
        indexes.Sort();
        foreach (var index in indexes)
        {
            instances[JsonRead.Key(index)] = WriteRuntime(state.Instances[index]);
        }

        return new JsonObject
        {
            ["clockOffsetMs"] = state.ClockOffsetMs,
            ["nextPid"] = state.NextPid,
            ["nextHwnd"] = state.NextHwnd,
            ["instances"] = instances,
        };
    }

    private static InstanceRuntime ReadRuntime(JsonObject obj) => new()
    {
        LaunchedAtMs = JsonRead.Long(obj, "launchedAtMs"),
        BootDelayMs = JsonRead.Int(obj, "bootDelayMs") ?? 0,
        AdbDelayMs = JsonRead.Int(obj, "adbDelayMs") ?? 0,
        TopHwnd = JsonRead.Long(obj, "topHwnd") ?? 0,
        BindHwnd = JsonRead.Long(obj, "bindHwnd") ?? 0,
        PlayerPid = JsonRead.Int(obj, "playerPid") ?? 0,
        VboxPid = JsonRead.Int(obj, "vboxPid") ?? 0,
        Packages = JsonRead.StringList(obj, "packages"),
        RunningApps = JsonRead.StringList(obj, "runningApps"),
        PendingApp = JsonRead.String(obj, "pendingApp"),
        Props = JsonRead.StringMap(obj, "props"),
        CpuRate = JsonRead.Int(obj, "cpuRate"),
        Location = JsonRead.String(obj, "location"),
        Network = JsonRead.String(obj, "network"),
        LastAction = JsonRead.String(obj, "lastAction"),
    };

    private static JsonObject WriteRuntime(InstanceRuntime runtime)
    {
        var obj = new JsonObject
        {
            ["launchedAtMs"] = runtime.LaunchedAtMs,
            ["bootDelayMs"] = runtime.BootDelayMs,
            ["adbDelayMs"] = runtime.AdbDelayMs,
            ["topHwnd"] = runtime.TopHwnd,
            ["bindHwnd"] = runtime.BindHwnd,
            ["playerPid"] = runtime.PlayerPid,
            ["vboxPid"] = runtime.VboxPid,
            ["packages"] = JsonRead.ToArray(runtime.Packages),
            ["runningApps"] = JsonRead.ToArray(runtime.RunningApps),
            ["pendingApp"] = runtime.PendingApp,
            ["props"] = JsonRead.ToObject(runtime.Props),
            ["cpuRate"] = runtime.CpuRate,
            ["location"] = runtime.Location,
            ["network"] = runtime.Network,
            ["lastAction"] = runtime.LastAction,
        };
        return obj;
    }
}
