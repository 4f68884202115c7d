using System.Diagnostics;

namespace LdFleet.Relay.LdPlayer;

/// <summary>What to run: an argument list (never a shell string), so nothing in a value can be interpreted.</summary>
internal sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments, TimeSpan Timeout)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>What came back. Output is raw bytes: decoding is the caller's business (ldconsole is not always UTF-8).</summary>
internal sealed record ProcessResult(int ExitCode, byte[] StandardOutput, byte[] StandardError, TimeSpan Duration, bool TimedOut);

/// <summary>The one seam between the relay and child processes.</summary>
internal interface IProcessRunner
{
    Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken);
}

internal sealed class ProcessRunner : IProcessRunner
{
    private readonly TimeProvider _time;

    public ProcessRunner(TimeProvider time) => _time = time;

    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var info = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,

            // ldconsole is a console program; without this every call flashes a window on the desktop.
            CreateNoWindow = true,
        };
        foreach (var argument in spec.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in spec.Environment)
        {
            info.Environment[key] = value;
        }

        using var process = new Process { StartInfo = info };
        var started = _time.GetTimestamp();
        process.Start();
        process.StandardInput.Close();

        // Both pipes are drained concurrently from the start: waiting for exit first deadlocks once a
        // pipe buffer fills (the classic bug of several ldconsole wrappers, reference §4.7).
        var stdout = ReadAllAsync(process.StandardOutput.BaseStream);
        var stderr = ReadAllAsync(process.StandardError.BaseStream);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(spec.Timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
            Kill(process);
            if (!timedOut)
            {
                throw;
            }
        }

        // After a kill the pipes close; bound the wait anyway in case a grandchild inherited them.
        await ((Task)Task.WhenAll(stdout, stderr)).WaitAsync(TimeSpan.FromSeconds(5), _time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return new ProcessResult(
            timedOut ? -1 : process.ExitCode,
            stdout.IsCompletedSuccessfully ? stdout.Result : [],
            stderr.IsCompletedSuccessfully ? stderr.Result : [],
            _time.GetElapsedTime(started),
            timedOut);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited on its own in the meantime.
        }
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
