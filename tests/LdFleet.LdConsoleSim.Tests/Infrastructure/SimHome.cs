using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace LdFleet.LdConsoleSim.Tests.Infrastructure;

/// <summary>A private LDSIM_HOME in a temp folder plus helpers to run the simulator against it.</summary>
internal sealed class SimHome : IDisposable
{
    /// <summary>
    /// Boot and ADB delays used by tests: minutes of virtual time, so the real clock (which keeps
    /// running while a loaded CI box spawns processes) can never flip a phase on its own; tests
    /// move the virtual clock with <see cref="Advance"/>.
    /// </summary>
    public const int Boot = 600_000;

    public const int Adb = 600_000;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private SimHome()
    {
        Root = Path.Combine(Path.GetTempPath(), "ldsim-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string JournalPath => Path.Combine(Root, "sim", "journal.jsonl");

    public static SimHome Create() => new();

    /// <summary>A home initialised with <c>sim:init</c>; the journal then holds that single call.</summary>
    public static SimHome Init(int count, string profile = "LD9", int bootDelayMs = Boot, int adbDelayMs = Adb, params string[] extra)
    {
        var home = new SimHome();
        var args = new List<string>
        {
            "sim:init", "--count", count.ToString(CultureInfo.InvariantCulture), "--profile", profile,
            "--boot-delay-ms", bootDelayMs.ToString(CultureInfo.InvariantCulture),
            "--adb-delay-ms", adbDelayMs.ToString(CultureInfo.InvariantCulture),
        };
        args.AddRange(extra);
        var result = home.Run([.. args]);
        Assert.True(result.ExitCode == 0, "sim:init failed: " + result.Stderr);
        return home;
    }

    public SimResult Run(params string[] args) => RunAsync(args).GetAwaiter().GetResult();

    public SimResult RunWithEnv(IReadOnlyDictionary<string, string> env, params string[] args) =>
        RunAsync(args, env).GetAwaiter().GetResult();

    public async Task<SimResult> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        using var process = Start(args, env);
        var stdout = new MemoryStream();
        var copyStdout = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var readStderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("ldconsole " + string.Join(' ', args) + " did not exit within " + DefaultTimeout);
        }

        await copyStdout;
        return new SimResult(process.ExitCode, stdout.ToArray(), await readStderr);
    }

    /// <summary>Starts without waiting (hang tests). The caller disposes and kills.</summary>
    public Process Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var startInfo = new ProcessStartInfo(SimExecutable.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var arg in SimExecutable.PrefixArgs.Concat(args))
        {
            startInfo.ArgumentList.Add(arg);
        }

        // Isolation from whatever the developer's shell exports.
        foreach (var key in startInfo.Environment.Keys.Where(k => k.StartsWith("LDSIM_", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(key);
        }

        startInfo.Environment["LDSIM_HOME"] = Root;
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        return Process.Start(startInfo) ?? throw new InvalidOperationException("could not start the simulator");
    }

    public IReadOnlyList<JsonObject> Journal() =>
        File.Exists(JournalPath)
            ? [.. File.ReadAllLines(JournalPath).Where(line => line.Length > 0).Select(line => (JsonObject)JsonNode.Parse(line)!)]
            : [];

    public JsonObject Config(int index) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "vms", "config", "leidian" + index.ToString(CultureInfo.InvariantCulture) + ".config")))!;

    public bool ConfigExists(int index) =>
        File.Exists(Path.Combine(Root, "vms", "config", "leidian" + index.ToString(CultureInfo.InvariantCulture) + ".config"));

    public JsonObject State()
    {
        var result = Run("sim:state");
        Assert.Equal(0, result.ExitCode);
        return (JsonObject)JsonNode.Parse(result.Stdout)!;
    }

    public JsonObject InstanceState(int index) =>
        State()["instances"]!.AsArray().Cast<JsonObject>().Single(i => i["index"]!.GetValue<int>() == index);

    /// <summary>list2 rows split on CRLF (the output must end with CRLF).</summary>
    public IReadOnlyList<string[]> List2()
    {
        var result = Run("list2");
        Assert.Equal(0, result.ExitCode);
        if (result.Stdout.Length == 0)
        {
            return [];
        }

        Assert.EndsWith("\r\n", result.Stdout, StringComparison.Ordinal);
        return [.. result.Stdout[..^2].Split("\r\n").Select(line => line.Split(','))];
    }

    public void Advance(int ms) => Assert.Equal(0, Run("sim:advance", "--ms", ms.ToString(CultureInfo.InvariantCulture)).ExitCode);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A killed (hang-fault) process may still be releasing files; temp cleanup is best effort.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
