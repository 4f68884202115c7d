using Xunit;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace LdFleet.Testing;

/// <summary>
/// The whole local fleet as real processes: Azurite, the cloud app on Kestrel, one relay for site "lab"
/// driving two simulated LDPlayer hosts with four emulators each.
/// </summary>
public class FleetFixture : IAsyncLifetime
{
    public const string SiteId = "lab";

    private readonly List<SimulatedHost> _hosts = [];
    private AzuriteServer? _azurite;
    private ChildProcess? _cloud;
    private ChildProcess? _relay;
    private string? _transport;
    private readonly string _journalId = Guid.NewGuid().ToString("N");

    // The cloud app's development issuer: a fresh key per fixture; the client's token is minted by the app itself.
    private readonly string _signingKey = DevTokens.NewSigningKey();

    public HttpClient Api { get; } = new();

    /// <summary>The development issuer's key (base64), for clients that mint their own tokens (the CLI's login --dev).</summary>
    public string DevSigningKey => _signingKey;

    /// <summary>The storage emulator, for outage tests.</summary>
    public AzuriteServer Storage => _azurite!;

    /// <summary>Starts the message transport and returns its connection string; null means Storage Queues on Azurite.</summary>
    protected virtual Task<string?> StartTransportAsync() => Task.FromResult<string?>(null);

    /// <summary>Whether Azurite keeps data on disk (so it can be restarted) instead of in memory.</summary>
    protected virtual bool PersistentStorage => false;

    /// <summary>Settings every cloud app process of this fixture gets on top of the defaults.</summary>
    protected virtual IReadOnlyDictionary<string, string?> CloudSettings => new Dictionary<string, string?>();

    /// <summary>Settings the relay process gets on top of the defaults.</summary>
    protected virtual IReadOnlyDictionary<string, string?> RelaySettings => new Dictionary<string, string?>();

    public IReadOnlyList<SimulatedHost> Hosts => _hosts;

    public string Diagnostics => $"{_cloud?.Tail()}\n{_relay?.Tail()}";

    public virtual async Task InitializeAsync()
    {
        _azurite = await AzuriteServer.StartAsync(PersistentStorage);
        _transport = await StartTransportAsync() ?? _azurite.ConnectionString;
        _hosts.Add(await SimulatedHost.CreateAsync("host-1", 4));
        _hosts.Add(await SimulatedHost.CreateAsync("host-2", 4));

        var port = FreePort.Next();
        Api.BaseAddress = new Uri($"http://127.0.0.1:{port}");
        await StartCloudAsync();
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokens.MintAsync(_signingKey, "Fleet.Admin", "end-to-end"));
        await BeforeRelayStartsAsync();
        await StartRelayAsync();
    }

    /// <summary>Runs once the cloud app answers and before the relay starts (e.g. to register the site and take its credentials).</summary>
    protected virtual Task BeforeRelayStartsAsync() => Task.CompletedTask;

    /// <summary>Starts (or restarts) the cloud app on <see cref="Api"/>'s address, with optional extra settings.</summary>
    public async Task StartCloudAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        _cloud = StartCloudProcess(Api.BaseAddress!, settings);
        await CloudApp.WaitUntilLiveAsync(Api, _cloud);
    }

    /// <summary>Starts one more instance of the cloud app on the same storage and transport (the caller owns it).</summary>
    public async Task<(ChildProcess Process, HttpClient Api)> StartExtraCloudAsync()
    {
        var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}") };
        var process = StartCloudProcess(api.BaseAddress, null);
        await CloudApp.WaitUntilLiveAsync(api, process);
        api.DefaultRequestHeaders.Authorization = Api.DefaultRequestHeaders.Authorization;
        return (process, api);
    }

    /// <summary>The relay process, for tests that read what it logged.</summary>
    public ChildProcess Relay => _relay!;

    /// <summary>The cloud app process, for tests that crash it on purpose.</summary>
    public ChildProcess Cloud => _cloud!;

    /// <summary>Stops the cloud app like a crash (no graceful shutdown).</summary>
    public async Task KillCloudAsync()
    {
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
            _cloud = null;
        }
    }

    private ChildProcess StartCloudProcess(Uri address, IReadOnlyDictionary<string, string?>? settings)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Storage__ConnectionString"] = _azurite!.ConnectionString,
            ["Transport__ConnectionString"] = _transport,
            ["Operations__RetryBaseDelay"] = "00:00:00.200",

            // A killed cloud app's queue claims lapse sooner than by default. The work-item visibility timeout stays at
            // its 30 s default: on a loaded 2-core machine queued control messages waited longer than 10 s, came back
            // while still buffered and thrashed the dispatcher.
            ["Durable__PartitionLeaseInterval"] = "00:00:15",
            ["Durable__MaxQueuePollingInterval"] = "00:00:00.500",
            ["RelayResults__LockDuration"] = "00:00:03",
            ["Auth__DevIssuer__Enabled"] = "true",
            ["Auth__DevIssuer__SigningKey"] = _signingKey,

            // The fault tests fire bursts of launches from one client.
            ["Api__RateLimit__Burst"] = "100000",
            ["Api__RateLimit__PerSecond"] = "100000",
        };
        foreach (var (key, value) in CloudSettings.Concat(settings ?? new Dictionary<string, string?>()))
        {
            environment[key] = value;
        }

        return CloudApp.Start(address, environment);
    }


    /// <summary>The storage account the fleet runs on, for tests that look behind the API.</summary>
    public string StorageConnectionString => _azurite!.ConnectionString;

    /// <summary>Starts the relay (again), with optional extra settings; its command journal survives restarts, as on a real site.</summary>
    public async Task StartRelayAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var relayEnvironment = new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Relay__SiteId"] = SiteId,
            ["Relay__JournalPath"] = Path.Combine(_hosts[0].Home, "..", $"relay-journal-{_journalId}.db"),
            ["Transport__ConnectionString"] = _transport,

            // Short locks so a killed relay's commands come back within seconds, not a minute.
            ["Polling__LockDuration"] = "00:00:05",
            ["Polling__MaxPollInterval"] = "00:00:00.250",
            ["Reporting__HeartbeatInterval"] = "00:00:01",
            ["Reporting__InventoryInterval"] = "00:00:05",
            ["Reporting__InventoryDebounce"] = "00:00:00.100",
        };
        for (var i = 0; i < _hosts.Count; i++)
        {
            relayEnvironment[$"Relay__Hosts__{i}__Id"] = _hosts[i].Id;
            relayEnvironment[$"Relay__Hosts__{i}__LdConsolePath"] = RepoPaths.Simulator;
            relayEnvironment[$"Relay__Hosts__{i}__LaunchStagger"] = "00:00:00";
            relayEnvironment[$"Relay__Hosts__{i}__Environment__LDSIM_HOME"] = _hosts[i].Home;
        }

        foreach (var (key, value) in RelaySettings.Concat(settings ?? new Dictionary<string, string?>()))
        {
            relayEnvironment[key] = value;
        }

        _relay = ChildProcess.Start("relay", "dotnet", ["exec", RepoPaths.RelayDll], relayEnvironment);
        await _relay.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
    }

    /// <summary>Kills the relay like a power cut: no shutdown, no abandon, locks left to lapse.</summary>
    public async Task KillRelayAsync()
    {
        if (_relay is not null)
        {
            await _relay.DisposeAsync();
            _relay = null;
        }
    }

    public virtual async Task DisposeAsync()
    {
        Api.Dispose();
        foreach (var process in new[] { _relay, _cloud })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }

        _hosts.ForEach(h => h.Dispose());
    }

    /// <summary>Polls an operation until it reaches a terminal status.</summary>
    public Task<OperationDto> WaitForTerminalAsync(Uri location, TimeSpan? timeout = null) =>
        Poll.UntilAsync(
            async () => (await Api.GetFromJsonAsync<OperationDto>(location))!,
            op => op.Status is "Succeeded" or "Failed" or "TimedOut" or "Cancelled",
            timeout ?? TimeSpan.FromSeconds(60),
            "the operation to finish\n" + Diagnostics);
}

/// <summary>The operation shape the API returns (only what the tests read).</summary>
public sealed record OperationDto(
    string Id, string Workflow, string SiteId, string HostId, int? Index, string Status, string? ErrorCode, string? Error, IReadOnlyList<StepDto> Steps, Dictionary<string, string> Result)
{
    public int Attempt => Steps[^1].Attempt;

    public int? ExitCode => Steps[^1].ExitCode;

    public string? Output => Steps[^1].Output;
}

public sealed record StepDto(string Name, string Action, int? Index, string Status, int Attempt, string CommandId, int? ExitCode, string? Output, string? ErrorCode, string? Error, Dictionary<string, string> Data);
