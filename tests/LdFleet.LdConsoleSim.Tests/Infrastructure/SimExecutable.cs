using System.Reflection;

namespace LdFleet.LdConsoleSim.Tests.Infrastructure;

/// <summary>
/// Locates the built simulator. The test project embeds the path of ldconsole.dll at build time
/// (see the csproj); the apphost <c>ldconsole</c> (<c>ldconsole.exe</c> on Windows) sits next to it.
/// <c>LDSIM_EXE</c> or <c>LDFLEET_SIMULATOR</c> override both, e.g. to point tests at a published build.
/// </summary>
internal static class SimExecutable
{
    private static readonly Lazy<(string FileName, string[] PrefixArgs)> Resolved = new(Resolve);

    public static string FileName => Resolved.Value.FileName;

    public static IReadOnlyList<string> PrefixArgs => Resolved.Value.PrefixArgs;

    private static (string, string[]) Resolve()
    {
        // LDFLEET_SIMULATOR is the NativeAOT build ./dev.sh makes for every test project.
        foreach (var variable in new[] { "LDSIM_EXE", "LDFLEET_SIMULATOR" })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } overridden && File.Exists(overridden))
            {
                return (overridden, []);
            }
        }

        var dll = typeof(SimExecutable).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == "LdConsoleSimDll")?.Value;
        if (string.IsNullOrEmpty(dll))
        {
            throw new InvalidOperationException("The test assembly carries no LdConsoleSimDll metadata; build through the csproj.");
        }

        var apphost = Path.Combine(Path.GetDirectoryName(dll)!, OperatingSystem.IsWindows() ? "ldconsole.exe" : "ldconsole");
        if (File.Exists(apphost))
        {
            return (apphost, []);
        }

        return File.Exists(dll)
            ? ("dotnet", [dll])
            : throw new InvalidOperationException("Simulator not built: " + dll);
    }
}
