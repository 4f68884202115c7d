using System.Globalization;

namespace LdFleet.LdConsoleSim.State;

/// <summary>
/// File layout of a simulated install: <c>vms/</c> like a real LDPlayer folder (reference §4.9),
/// plus the simulator-private <c>sim/</c> folder.
/// </summary>
internal sealed class SimPaths
{
    public const string HomeVariable = "LDSIM_HOME";

    public SimPaths(string home)
    {
        Home = Path.GetFullPath(home);
        VmsDir = Path.Combine(Home, "vms");
        ConfigDir = Path.Combine(VmsDir, "config");
        SimDir = Path.Combine(Home, "sim");
    }

    public string Home { get; }

    public string VmsDir { get; }

    public string ConfigDir { get; }

    public string SimDir { get; }

    public string GlobalConfig => Path.Combine(ConfigDir, "leidians.config");

    public string Settings => Path.Combine(SimDir, "settings.json");

    public string State => Path.Combine(SimDir, "state.json");

    public string Journal => Path.Combine(SimDir, "journal.jsonl");

    public string Faults => Path.Combine(SimDir, "faults.json");

    public string Lock => Path.Combine(SimDir, "state.lock");

    /// <summary><c>LDSIM_HOME</c> when set, otherwise the folder holding the executable (like a real install).</summary>
    public static SimPaths Resolve()
    {
        var fromEnv = Environment.GetEnvironmentVariable(HomeVariable);
        return new SimPaths(string.IsNullOrWhiteSpace(fromEnv) ? AppContext.BaseDirectory : fromEnv);
    }

    public string InstanceConfig(int index) =>
        Path.Combine(ConfigDir, "leidian" + index.ToString(CultureInfo.InvariantCulture) + ".config");

    public string InstanceDir(int index) =>
        Path.Combine(VmsDir, "leidian" + index.ToString(CultureInfo.InvariantCulture));
}
