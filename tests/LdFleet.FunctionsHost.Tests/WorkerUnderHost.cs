using LdFleet.FunctionsHost.Tests.HostDouble;
using LdFleet.FunctionsHost.Tests.Rpc;
using LdFleet.Testing;

namespace LdFleet.FunctionsHost.Tests;

/// <summary>
/// The published app started by the host double, taken through the host's start-up: handshake, worker indexing
/// (metadata) and a load of every function it reported. The answers are kept for the tests to check; the tests then
/// invoke functions on the same worker.
/// </summary>
public sealed class WorkerUnderHost : IAsyncLifetime
{
    // A loaded 2-core machine: JIT and first storage calls of a cold worker take their time.
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(90);

    public const string TaskHub = "hostdouble";
    public const string WorkerId = "ldfleet-host-double-worker";

    private ChildProcess? _worker;

    public AzuriteServer Azurite { get; private set; } = null!;

    public FunctionsHostDouble Host { get; private set; } = null!;

    public HostSession Session { get; private set; } = null!;

    public string AppDirectory { get; private set; } = "";

    public string SigningKey { get; } = DevTokens.NewSigningKey();

    public WorkerInitResponse Init { get; private set; } = null!;

    public FunctionMetadataResponse Metadata { get; private set; } = null!;

    public IReadOnlyDictionary<string, FunctionLoadResponse> Loads { get; private set; } = new Dictionary<string, FunctionLoadResponse>();

    /// <summary>The worker's output, for failure messages.</summary>
    public string Diagnostics => (_worker?.Tail() ?? "") + "\n" + (Session?.Worker.LogTail() ?? "") + "\n" + (Host?.LogTail() ?? "");

    public async Task InitializeAsync()
    {
        AppDirectory = await PublishedApp.DirectoryAsync();
        Azurite = await AzuriteServer.StartAsync();
        Host = await FunctionsHostDouble.StartAsync(Azurite.ConnectionString, TaskHub);
        _worker = PublishedApp.StartWorker(AppDirectory, Host.Address, WorkerId, Settings(Azurite.ConnectionString, SigningKey));
        var channel = await Host.WaitForWorkerAsync(StepTimeout, () => _worker.Tail());
        Session = new HostSession(channel, Host, AppDirectory, StepTimeout);

        Init = await Session.InitAsync();
        Metadata = await Session.GetMetadataAsync();
        var loads = new Dictionary<string, FunctionLoadResponse>(StringComparer.Ordinal);
        foreach (var function in Metadata.FunctionMetadataResults)
        {
            loads[function.Name] = await Session.LoadAsync(function);
        }

        Loads = loads;
        HttpReadyAfterLoad = await Session.WaitForHttpAsync();
    }

    /// <summary>How long after the last FunctionLoadResponse the worker's HTTP endpoint began to accept connections.</summary>
    public TimeSpan HttpReadyAfterLoad { get; private set; }

    public RpcFunctionMetadata Function(string name) =>
        Metadata.FunctionMetadataResults.SingleOrDefault(f => f.Name == name) ?? throw new InvalidOperationException($"The worker reported no function {name}.");

    /// <summary>The settings of a local run under the host (local.settings.example.json), on this test's Azurite.</summary>
    public static Dictionary<string, string?> Settings(string storage, string signingKey) => new()
    {
        ["AzureWebJobsStorage"] = storage,
        ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
        ["DOTNET_ENVIRONMENT"] = "Development",
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Storage__ConnectionString"] = storage,
        ["Auth__DevIssuer__Enabled"] = "true",
        ["Auth__DevIssuer__SigningKey"] = signingKey,
        ["CleanupSchedule"] = "0 0 * * * *",
        ["DurableTaskHub"] = TaskHub,
        ["Logging__Format"] = "text",
    };

    public async Task DisposeAsync()
    {
        if (Session is not null && _worker is not null && !_worker.HasExited)
        {
            // As the host stops a worker: WorkerTerminate with a grace period, after which the host kills it (below).
            await Session.TerminateAsync();
            try
            {
                await Poll.UntilAsync(() => Task.FromResult(_worker.HasExited), exited => exited, TimeSpan.FromSeconds(30), "the worker to exit after WorkerTerminate");
            }
            catch (TimeoutException)
            {
                // Killed by DisposeAsync.
            }
        }

        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WorkerUnderHostCollection : ICollectionFixture<WorkerUnderHost>
{
    public const string Name = "worker under the host double";
}
