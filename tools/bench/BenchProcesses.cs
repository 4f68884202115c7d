using System.Globalization;
using System.Net.Http.Headers;
using LdFleet.Testing;

namespace LdFleet.Bench;

/// <summary>The cloud app as the benchmarks run it: development issuer on, rate limits out of the way, a client holding a token.</summary>
internal sealed class BenchCloud : IAsyncDisposable
{
    private BenchCloud(ChildProcess process, HttpClient api)
    {
        Process = process;
        Api = api;
    }

    public ChildProcess Process { get; }

    public HttpClient Api { get; }

    /// <param name="transport">Null: the transport defaults to the storage account's queues.</param>
    public static async Task<BenchCloud> StartAsync(string storage, string? transport, string role, IReadOnlyDictionary<string, string?>? settings = null, TimeSpan? clientTimeout = null)
    {
        var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}"), Timeout = clientTimeout ?? TimeSpan.FromSeconds(100) };
        var key = DevTokens.NewSigningKey();
        var environment = DevTokens.Environment(key);
        environment["Storage__ConnectionString"] = storage;
        if (transport is not null)
        {
            environment["Transport__ConnectionString"] = transport;
        }

        environment["Logging__LogLevel__Default"] = "Warning";
        environment["RelayResults__MaxPollInterval"] = "00:00:00.100";

        // One bench client drives the API far harder than the per-caller limit allows a production caller.
        environment["Api__RateLimit__Burst"] = "1000000";
        environment["Api__RateLimit__PerSecond"] = "1000000";
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        var process = CloudApp.Start(api.BaseAddress, environment);
        try
        {
            await CloudApp.WaitUntilLiveAsync(api, process);
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokens.MintAsync(key, role, "bench"));
            return new BenchCloud(process, api);
        }
        catch
        {
            api.Dispose();
            await process.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Process.DisposeAsync();
    }
}

/// <summary>
/// The Service Bus test broker as its own process (tools/servicebus-broker), as Azurite is: the bench measures the
/// cloud app and relay processes, and a broker inside the bench client would share its CPU with the load it drives.
/// </summary>
internal sealed class BenchServiceBus : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private BenchServiceBus(ChildProcess process, string connectionString)
    {
        _process = process;
        ConnectionString = connectionString;
    }

    /// <summary>The root (Manage) connection string: the SDK with UseDevelopmentEmulator=true.</summary>
    public string ConnectionString { get; }

    public static async Task<BenchServiceBus> StartAsync(string siteId)
    {
        var process = ChildProcess.Start("servicebus-broker", "dotnet", ["exec", RepoPaths.ServiceBusBrokerDll, "--queue", $"ldfleet-site-{siteId}:60"]);
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith("ROOT=", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            await process.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            return new BenchServiceBus(process, line["ROOT=".Length..]);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

/// <summary>A relay as the benchmarks run it, driving simulated hosts.</summary>
internal static class BenchRelay
{
    /// <param name="storage">The storage account whose queue carries results (commands may be on Service Bus).</param>
    public static async Task<ChildProcess> StartAsync(string siteId, string storage, string transport, IReadOnlyList<SimulatedHost> hosts, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["Relay__SiteId"] = siteId,
            ["Relay__JournalPath"] = Path.Combine(hosts[0].Home, "..", $"journal-{Guid.NewGuid():N}.db"),
            ["Transport__ConnectionString"] = transport,
            ["Transport__ResultsConnectionString"] = storage,
            ["Polling__MaxPollInterval"] = "00:00:00.100",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__LdFleet.Relay.Polling"] = "Information",
        };
        for (var i = 0; i < hosts.Count; i++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"Relay__Hosts__{i}__");
            environment[prefix + "Id"] = hosts[i].Id;
            environment[prefix + "LdConsolePath"] = RepoPaths.Simulator;
            environment[prefix + "LaunchStagger"] = "00:00:00";
            environment[prefix + "Environment__LDSIM_HOME"] = hosts[i].Home;
        }

        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        var relay = ChildProcess.Start("relay", "dotnet", ["exec", RepoPaths.RelayDll], environment);
        await relay.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        return relay;
    }
}
