using System.Globalization;
using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Profiles;

namespace LdFleet.LdConsoleSim.State;

/// <summary>
/// The simulated install as seen by one call: instances, runtime state and the virtual clock.
/// All lifecycle transitions live here so every command applies them the same way.
/// </summary>
internal sealed class SimWorld
{
    public SimWorld(EffectiveSettings settings, SimState state, InstallStore install)
    {
        Settings = settings;
        Profile = Profile.For(settings.Profile);
        State = state;
        Install = install;
        NowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + state.ClockOffsetMs;
    }

    public EffectiveSettings Settings { get; }

    public Profile Profile { get; }

    public SimState State { get; }

    public InstallStore Install { get; }

    /// <summary>Virtual "now": real UTC plus the persisted <c>sim:advance</c> offset.</summary>
    public long NowMs { get; }

    public IEnumerable<Instance> All()
    {
        foreach (var index in Install.Indexes())
        {
            if (Find(index) is { } instance)
            {
                yield return instance;
            }
        }
    }

    public Instance? Find(int index)
    {
        var config = Install.Config(index);
        if (config is null)
        {
            return null;
        }

        var runtime = RuntimeOf(index);
        return new Instance(index, config, runtime, PhaseOf(runtime));
    }

    /// <summary>First match by title, lowest index first (titles may repeat, §4.1).</summary>
    public Instance? FindByTitle(string title) =>
        All().FirstOrDefault(instance => string.Equals(instance.Title, title, StringComparison.Ordinal));

    public int NextIndex()
    {
        // §4.2: LD14 was seen to allocate sequentially (max + 1) even with holes; used for every profile.
        var indexes = Install.Indexes();
        return indexes.Count == 0 ? 0 : indexes[^1] + 1;
    }

    public string DefaultTitle(int index) =>
        index == 0 ? Settings.TitlePrefix : Settings.TitlePrefix + "-" + index.ToString(CultureInfo.InvariantCulture);

    public InstancePhase PhaseOf(InstanceRuntime runtime)
    {
        if (runtime.LaunchedAtMs is not { } launchedAt)
        {
            return InstancePhase.Stopped;
        }

        var elapsed = NowMs - launchedAt;
        if (elapsed < runtime.BootDelayMs)
        {
            return InstancePhase.Booting;
        }

        return elapsed < (long)runtime.BootDelayMs + runtime.AdbDelayMs ? InstancePhase.AndroidStarted : InstancePhase.Ready;
    }

    /// <summary>Starts a stopped instance; a booting or running one is left untouched (§4.3: a second launch must not reset anything).</summary>
    public void Launch(Instance instance, bool slowBoot)
    {
        if (instance.IsRunning)
        {
            return;
        }

        var runtime = instance.Runtime;
        runtime.PlayerPid = NextPid();
        runtime.VboxPid = NextPid();
        runtime.TopHwnd = NextHwnd();
        runtime.BindHwnd = NextHwnd();
        StartBoot(runtime, slowBoot);
    }

    /// <summary>Android restarts; the player process and its windows survive, the boot timeline starts over.</summary>
    public void Reboot(Instance instance, bool slowBoot)
    {
        if (!instance.IsRunning)
        {
            Launch(instance, slowBoot);
            return;
        }

        StartBoot(instance.Runtime, slowBoot);
    }

    public static void Stop(InstanceRuntime runtime)
    {
        runtime.LaunchedAtMs = null;
        runtime.PlayerPid = 0;
        runtime.VboxPid = 0;
        runtime.TopHwnd = 0;
        runtime.BindHwnd = 0;
        runtime.RunningApps.Clear();
        runtime.PendingApp = null;
    }

    public InstanceRuntime RuntimeOf(int index)
    {
        if (!State.Instances.TryGetValue(index, out var runtime))
        {
            runtime = new InstanceRuntime();
            State.Instances[index] = runtime;
        }

        return runtime;
    }

    /// <summary>Forgets everything about an index (remove, or a fresh add/copy into a reused slot).</summary>
    public InstanceRuntime ResetRuntime(int index)
    {
        var runtime = new InstanceRuntime();
        State.Instances[index] = runtime;
        return runtime;
    }

    public void SaveConfig(Instance instance) => Install.SaveConfig(instance.Index, instance.Config);

    public void SaveConfig(int index, JsonObject config) => Install.SaveConfig(index, config);

    /// <summary>Apps running now: explicit starts plus the launchex/call.reboot app once the guest is ready.</summary>
    public IReadOnlyList<string> RunningApps(Instance instance)
    {
        var apps = new List<string>(instance.Runtime.RunningApps);
        if (instance.Phase == InstancePhase.Ready && instance.Runtime.PendingApp is { } pending && !apps.Contains(pending))
        {
            apps.Add(pending);
        }

        return apps;
    }

    private void StartBoot(InstanceRuntime runtime, bool slowBoot)
    {
        runtime.LaunchedAtMs = NowMs;
        runtime.BootDelayMs = slowBoot ? Settings.BootDelayMs * 10 : Settings.BootDelayMs;
        runtime.AdbDelayMs = Settings.AdbDelayMs;
        runtime.RunningApps.Clear();
        runtime.PendingApp = null;
    }

    private int NextPid()
    {
        var pid = State.NextPid;
        State.NextPid += 4 * (1 + Random.Shared.Next(8));
        return pid;
    }

    private long NextHwnd()
    {
        var hwnd = State.NextHwnd;
        State.NextHwnd += 2 * (1 + Random.Shared.Next(64));
        return hwnd;
    }
}
