using System.Diagnostics;
using LdFleet.Testing;

namespace LdFleet.Deployment.Tests;

/// <summary>The repository's tracked files (what a clone holds), relative to its root with forward slashes.</summary>
internal static class Git
{
    public static IReadOnlyList<string> TrackedFiles()
    {
        var info = new ProcessStartInfo("git", ["ls-files", "-z"]) { RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
        using var git = Process.Start(info)!;
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, "git ls-files failed");
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }
}
