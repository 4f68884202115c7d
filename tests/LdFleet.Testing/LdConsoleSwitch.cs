namespace LdFleet.Testing;

/// <summary>
/// An ldconsole path that a test can break and repair while the relay runs: a symbolic link to the simulator in a folder
/// of its own. Broken, the relay cannot start ldconsole on that host at all (a dead host, as when LDPlayer is uninstalled
/// or its disk is gone); repaired, the host answers again.
/// </summary>
public sealed class LdConsoleSwitch : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ldfleet-ldconsole-").FullName;

    public LdConsoleSwitch() => Repair();

    /// <summary>The path to give the relay as the host's LdConsolePath.</summary>
    public string Path => System.IO.Path.Combine(_folder, "ldconsole");

    public void Break() => File.Delete(Path);

    public void Repair()
    {
        if (!File.Exists(Path))
        {
            File.CreateSymbolicLink(Path, RepoPaths.Simulator);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Cleaned by the OS with the rest of the temp folder.
        }
    }
}
