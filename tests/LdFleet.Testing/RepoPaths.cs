using System.Reflection;

namespace LdFleet.Testing;

/// <summary>Where the repository and the other projects' build outputs are.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string Configuration { get; } =
        typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BuildConfiguration").Value!;

    /// <summary>The cloud app's built assembly.</summary>
    public static string FunctionsDll => Output("functions", "LdFleet.Functions.dll");

    /// <summary>The relay's built assembly.</summary>
    public static string RelayDll => Output("relay-agent", "LdFleet.Relay.dll");

    /// <summary>The Service Bus test broker as a process (tools/servicebus-broker), for the bench.</summary>
    public static string ServiceBusBrokerDll => Output(Path.Combine("tools", "servicebus-broker"), "ldfleet-servicebus-broker.dll");

    /// <summary>
    /// The ldconsole simulator's executable: the NativeAOT build named by <c>LDFLEET_SIMULATOR</c> when
    /// <c>./dev.sh</c> made one (it starts ~10x faster, so tests and benchmarks measure LdFleet, not JIT start-up),
    /// otherwise the plain build output.
    /// </summary>
    public static string Simulator =>
        Environment.GetEnvironmentVariable("LDFLEET_SIMULATOR") is { Length: > 0 } aot && File.Exists(aot)
            ? aot
            : Output(Path.Combine("tools", "ldconsole-sim"), OperatingSystem.IsWindows() ? "ldconsole.exe" : "ldconsole");

    /// <summary>The Azurite launcher installed by <c>npm ci</c>.</summary>
    public static string Azurite => Path.Combine(Root, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite");

    private static string Output(string projectDir, string file)
    {
        var path = Path.Combine(Root, projectDir, "bin", Configuration, "net10.0", file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build output '{path}' is missing: build the solution first (dotnet build LdFleet.slnx -c {Configuration}).", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LdFleet.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No LdFleet.slnx above {AppContext.BaseDirectory}.");
    }
}
