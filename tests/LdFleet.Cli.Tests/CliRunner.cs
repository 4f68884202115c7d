using System.Diagnostics;
using System.Text;
using LdFleet.Testing;

namespace LdFleet.Cli.Tests;

/// <summary>What one run of the CLI printed and how it exited.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the built <c>ldfleet</c> as a real process with its own config directory. Its stdout is a pipe, so the
/// CLI sees no terminal: exactly the situation of scripts and CI logs.
/// </summary>
public sealed class CliRunner : IDisposable
{
    public CliRunner()
    {
        Home = Directory.CreateTempSubdirectory("ldfleet-cli-").FullName;
    }

    /// <summary>The CLI's built assembly.</summary>
    public static string Dll
    {
        get
        {
            var path = Path.Combine(RepoPaths.Root, "tools", "cli", "bin", RepoPaths.Configuration, "net10.0", "ldfleet.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"Build the CLI first (dotnet build tools/cli -c {RepoPaths.Configuration}).", path);
        }
    }

    /// <summary>A private directory: the config file lives here and it is the working directory.</summary>
    public string Home { get; }

    public string ConfigFile => Path.Combine(Home, "config", "config.json");

    /// <summary>Starts from a copy of another config directory (profiles and stored tokens).</summary>
    public void UseConfigFrom(string directory)
    {
        var target = Path.GetDirectoryName(ConfigFile)!;
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(directory))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
    }

    /// <summary>Extra environment for every run.</summary>
    public Dictionary<string, string?> Environment { get; } = [];

    public async Task<CliResult> RunAsync(params string[] args) => await RunAsync(args, null);

    /// <summary>
    /// Runs the CLI on a pseudo-terminal (util-linux <c>script</c>), as a person at a terminal would: stdout is a
    /// TTY, so live rendering is on. What the terminal showed comes back as stdout, escape sequences included.
    /// </summary>
    public Task<CliResult> RunInTerminalAsync(params string[] args)
    {
        var command = string.Join(' ', new[] { "dotnet", "exec", Dll }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        return RunAsync("script", ["-q", "-e", "-c", command, "/dev/null"], new Dictionary<string, string?> { ["TERM"] = "xterm-256color", ["COLUMNS"] = "120" }, null);
    }

    public Task<CliResult> RunAsync(string[] args, IReadOnlyDictionary<string, string?>? environment, TimeSpan? timeout = null) =>
        RunAsync("dotnet", ["exec", Dll, .. args], environment, timeout);

    private async Task<CliResult> RunAsync(string program, string[] args, IReadOnlyDictionary<string, string?>? environment, TimeSpan? timeout)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Home,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Nothing from the developer's own shell may leak in: no token, profile or config of theirs.
        foreach (var name in new[] { "LDFLEET_TOKEN", "LDFLEET_PROFILE", "LDFLEET_API_URL", "LDFLEET_DEV_KEY_FILE" })
        {
            info.Environment.Remove(name);
        }

        info.Environment["LDFLEET_CONFIG"] = ConfigFile;
        foreach (var (key, value) in Environment.Concat(environment ?? new Dictionary<string, string?>()))
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ldfleet {string.Join(' ', args)} did not finish in time.\n{await stdout}\n{await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
