using System.Collections.Concurrent;
using System.Diagnostics;

namespace LdFleet.Testing;

/// <summary>
/// A real child process for tests: output is captured (for failure messages and for waiting on a line),
/// and disposal kills the whole tree so nothing outlives the test run.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly string _name;

    private ChildProcess(string name, Process process)
    {
        _name = name;
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyCollection<string> Lines => _lines;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.Add(e.Data);
        process.ErrorDataReceived += (_, e) => child.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for an output line matching <paramref name="match"/>; fails early if the process exits.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var line = _lines.FirstOrDefault(match);
            if (line is not null)
            {
                return line;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_name} exited with code {_process.ExitCode} before printing the expected line.\n{Tail()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{_name} did not print the expected line within {timeout.TotalSeconds:0} s.\n{Tail()}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>The last lines of output, for assertion messages.</summary>
    public string Tail(int count = 40) => $"--- last output of {_name} ---\n" + string.Join('\n', _lines.TakeLast(count));

    /// <summary>Asks the process to stop (SIGTERM) and waits; kills it if it does not stop in time.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            await KillAsync();
            return;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await KillAsync();
        }
    }

    /// <summary>Sends a POSIX signal (<c>TERM</c>, <c>INT</c>, ...) to the process, as a service manager or Ctrl+C would.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the process to exit; its exit code, or null if it is still running.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            return _process.ExitCode;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Kills the process tree at once, as a crash would.</summary>
    public async Task KillAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();

        // For a post-mortem of a failed run: LDFLEET_TEST_LOGS=<dir> keeps every child process's whole output.
        if (Environment.GetEnvironmentVariable("LDFLEET_TEST_LOGS") is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
            await File.WriteAllLinesAsync(Path.Combine(directory, $"{_name}-{_process.Id}.log"), _lines);
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }
}
