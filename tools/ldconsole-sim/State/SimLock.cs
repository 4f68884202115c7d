using System.Diagnostics;

namespace LdFleet.LdConsoleSim.State;

/// <summary>
/// Exclusive cross-process lock around every read-modify-write of the simulated install: a relay
/// runs several ldconsole calls in parallel. <see cref="FileShare.None"/> maps to an exclusive
/// advisory lock on Unix and a share-mode lock on Windows; the OS drops it when the process dies,
/// so a killed (e.g. hung) simulator never wedges the others.
/// </summary>
internal sealed class SimLock : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly FileStream _stream;

    private SimLock(FileStream stream)
    {
        _stream = stream;
    }

    public static SimLock Acquire(string path) => Acquire(path, DefaultTimeout);

    public static SimLock Acquire(string path, TimeSpan timeout)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var clock = Stopwatch.StartNew();
        var delayMs = 1;
        while (true)
        {
            try
            {
                return new SimLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (clock.Elapsed < timeout)
            {
                // Jitter keeps parallel callers from retrying in lock-step.
                Thread.Sleep(delayMs + Random.Shared.Next(delayMs + 1));
                delayMs = Math.Min(delayMs * 2, 25);
            }
            catch (IOException ex)
            {
                throw new TimeoutException("ldconsole-sim: could not lock " + path + " within " + timeout.TotalSeconds + " s", ex);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
