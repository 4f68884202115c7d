using System.Text.RegularExpressions;

namespace LdFleet.Testing;

/// <summary>
/// A private Azurite on ports the OS picks, so test assemblies running in parallel never share state or
/// collide on ports. In-memory by default; a persistent one keeps its data on disk so it can be killed and
/// started again on the same ports, as an outage test needs.
/// </summary>
public sealed partial class AzuriteServer : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string? _location;
    private readonly (int Blob, int Queue, int Table) _ports;
    private ChildProcess? _process;

    private AzuriteServer(ChildProcess process, string? location, (int Blob, int Queue, int Table) ports)
    {
        _process = process;
        _location = location;
        _ports = ports;
        ConnectionString =
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
            $"AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{ports.Blob}/devstoreaccount1;" +
            $"QueueEndpoint=http://127.0.0.1:{ports.Queue}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{ports.Table}/devstoreaccount1;";
    }

    /// <summary>A full connection string for this instance (UseDevelopmentStorage=true only covers the default ports).</summary>
    public string ConnectionString { get; }

    public static async Task<AzuriteServer> StartAsync(bool persistent = false)
    {
        if (!File.Exists(RepoPaths.Azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed at {RepoPaths.Azurite}: run 'npm ci' in {RepoPaths.Root} (./dev.sh test does it).");
        }

        var location = persistent ? Directory.CreateTempSubdirectory("ldfleet-azurite-").FullName : null;
        var (process, ports) = await LaunchAsync(location, (0, 0, 0));
        return new AzuriteServer(process, location, ports);
    }

    /// <summary>
    /// Stops Azurite; clients see connection failures until <see cref="StartAgainAsync"/>. It is asked to stop
    /// (SIGTERM) rather than killed: Azurite saves to disk periodically and a SIGKILL loses its last writes,
    /// which real Azure Storage never does with acknowledged writes.
    /// </summary>
    public async Task StopAsync()
    {
        if (_location is null)
        {
            throw new InvalidOperationException("Only a persistent Azurite can be killed and started again; an in-memory one would lose its data.");
        }

        if (_process is not null)
        {
            await _process.TerminateAsync(TimeSpan.FromSeconds(20));
            await _process.DisposeAsync();
            _process = null;
        }
    }

    /// <summary>Starts Azurite again on the same ports with the same data.</summary>
    public async Task StartAgainAsync()
    {
        if (_process is not null || _location is null)
        {
            throw new InvalidOperationException("Azurite is running, or is not persistent.");
        }

        (_process, _) = await LaunchAsync(_location, _ports);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        if (_location is not null)
        {
            Directory.Delete(_location, recursive: true);
        }
    }

    private static async Task<(ChildProcess Process, (int Blob, int Queue, int Table) Ports)> LaunchAsync(string? location, (int Blob, int Queue, int Table) ports)
    {
        List<string> args =
        [
            "--skipApiVersionCheck", "--disableTelemetry", "--disableProductStyleUrl",
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", Str(ports.Blob), "--queuePort", Str(ports.Queue), "--tablePort", Str(ports.Table),
        ];
        args.AddRange(location is null ? ["--inMemoryPersistence"] : ["--location", location]);
        var process = ChildProcess.Start("azurite", RepoPaths.Azurite, args);
        try
        {
            var blob = Port(await process.WaitForLineAsync(l => l.Contains("Blob service is successfully listening", StringComparison.Ordinal), StartTimeout));
            var queue = Port(await process.WaitForLineAsync(l => l.Contains("Queue service is successfully listening", StringComparison.Ordinal), StartTimeout));
            var table = Port(await process.WaitForLineAsync(l => l.Contains("Table service is successfully listening", StringComparison.Ordinal), StartTimeout));
            return (process, (blob, queue, table));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private static string Str(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int Port(string line) => int.Parse(PortPattern().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"http://127\.0\.0\.1:(\d+)")]
    private static partial Regex PortPattern();
}
