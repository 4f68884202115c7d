using System.Diagnostics;
using System.Text;

namespace LdFleet.Testing;

/// <summary>A simulated LDPlayer install (an ldconsole simulator data folder) for tests.</summary>
public sealed class SimulatedHost : IDisposable
{
    private SimulatedHost(string id, string home)
    {
        Id = id;
        Home = home;
    }

    public string Id { get; }

    /// <summary>The simulator's data folder (its LDSIM_HOME).</summary>
    public string Home { get; }

    /// <summary>Creates a host with <paramref name="count"/> stopped emulators.</summary>
    public static async Task<SimulatedHost> CreateAsync(string id, int count, string profile = "LD9", string encoding = "utf8", int bootDelayMs = 0, int adbDelayMs = 0)
    {
        var home = Directory.CreateTempSubdirectory($"ldfleet-sim-{id}-").FullName;
        var host = new SimulatedHost(id, home);
        var (exit, output) = await host.RunAsync("sim:init", "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "--profile", profile, "--encoding", encoding, "--boot-delay-ms", bootDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--adb-delay-ms", adbDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (exit != 0)
        {
            throw new InvalidOperationException($"sim:init failed ({exit}): {output}");
        }

        return host;
    }

    /// <summary>Runs the simulator directly (not through the relay) and returns its exit code and UTF-8 output.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo(RepoPaths.Simulator)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LDSIM_HOME"] = Home;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Injects a simulator fault (hang, crash, garbage, slow-boot, session0, empty-list2).</summary>
    public async Task FaultAsync(string kind, string? command = null, int? count = null)
    {
        var args = new List<string> { "sim:fault", "--kind", kind };
        if (command is not null)
        {
            args.AddRange(["--command", command]);
        }

        if (count is { } n)
        {
            args.AddRange(["--count", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        var (exit, output) = await RunAsync([.. args]);
        if (exit != 0)
        {
            throw new InvalidOperationException($"sim:fault failed ({exit}): {output}");
        }
    }

    /// <summary>How many times ldconsole was called with <paramref name="command"/> as its first argument.</summary>
    public int JournalCount(string command) =>
        Journal().Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(line => line.Contains($"\"argv\":[\"{command}\"", StringComparison.Ordinal));

    /// <summary>Calls of <paramref name="command"/> whose arguments include <paramref name="argument"/> right after <paramref name="option"/> (e.g. --index 7).</summary>
    public int JournalCount(string command, string option, string argument) =>
        Journal().Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(line =>
            line.Contains($"\"argv\":[\"{command}\"", StringComparison.Ordinal) && line.Contains($"\"{option}\",\"{argument}\"", StringComparison.Ordinal));

    /// <summary>The raw list2 lines, CRLF removed.</summary>
    public async Task<IReadOnlyList<string>> List2Async()
    {
        var (_, output) = await RunAsync("list2");
        return output.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The journal of every ldconsole call this host received.</summary>
    public string Journal()
    {
        var path = Path.Combine(Home, "sim", "journal.jsonl");
        return File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8) : "";
    }

    public void Dispose()
    {
        StopStragglers();
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // A straggling simulator may still hold a file; the temp folder is cleaned by the OS later.
        }
    }

    /// <summary>
    /// Kills simulator processes of this host that outlived their caller: a "hang" fault sleeps until killed, and a
    /// relay killed mid-command, or an SSH server that refuses to signal a timed-out command, leaves it running. They
    /// are found by this host's own LDSIM_HOME (a unique temp folder) in /proc, so nothing else is touched.
    /// </summary>
    private void StopStragglers()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var marker = "LDSIM_HOME=" + Home;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(System.IO.Path.Combine(dir, "environ")).Split('\0').Contains(marker, StringComparer.Ordinal))
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone already, or not ours to read.
            }
        }
    }
}
