namespace LdFleet.Bench;

internal static class BenchPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The NativeAOT simulator from <c>LDFLEET_SIMULATOR</c> (set by ./dev.sh), else the plain build.</summary>
    public static string Simulator(string configuration) =>
        Environment.GetEnvironmentVariable("LDFLEET_SIMULATOR") is { Length: > 0 } aot && File.Exists(aot)
            ? aot
            : Path.Combine(Root, "tools", "ldconsole-sim", "bin", configuration, "net10.0", OperatingSystem.IsWindows() ? "ldconsole.exe" : "ldconsole");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LdFleet.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run the bench from inside the LdFleet repository.");
    }
}
