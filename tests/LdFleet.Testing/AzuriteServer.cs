using System.Text.RegularExpressions;

namespace LdFleet.Testing;

/// <summary>
/// A private, in-memory Azurite on ports the OS picks, so test assemblies running in parallel never share
/// state or collide on ports.
/// </summary>
public sealed partial class AzuriteServer : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly ChildProcess _process;

    private AzuriteServer(ChildProcess process, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        ConnectionString =
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
            $"AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";
    }

    /// <summary>A full connection string for this instance (UseDevelopmentStorage=true only covers the default ports).</summary>
    public string ConnectionString { get; }

    public static async Task<AzuriteServer> StartAsync()
    {
        if (!File.Exists(RepoPaths.Azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed at {RepoPaths.Azurite}: run 'npm ci' in {RepoPaths.Root} (./dev.sh test does it).");
        }

        var process = ChildProcess.Start("azurite", RepoPaths.Azurite,
        [
            "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--disableProductStyleUrl",
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", "0", "--queuePort", "0", "--tablePort", "0",
        ]);
        try
        {
            var timeout = TimeSpan.FromSeconds(60);
            var blob = Port(await process.WaitForLineAsync(l => l.Contains("Blob service is successfully listening", StringComparison.Ordinal), timeout));
            var queue = Port(await process.WaitForLineAsync(l => l.Contains("Queue service is successfully listening", StringComparison.Ordinal), timeout));
            var table = Port(await process.WaitForLineAsync(l => l.Contains("Table service is successfully listening", StringComparison.Ordinal), timeout));
            return new AzuriteServer(process, blob, queue, table);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static int Port(string line) => int.Parse(PortPattern().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"http://127\.0\.0\.1:(\d+)")]
    private static partial Regex PortPattern();
}
