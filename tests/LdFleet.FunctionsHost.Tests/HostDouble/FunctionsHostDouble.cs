using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;

namespace LdFleet.FunctionsHost.Tests.HostDouble;

/// <summary>
/// A stand-in for the Azure Functions host, as far as a language worker can tell: an h2c gRPC server on 127.0.0.1
/// serving <c>FunctionRpc.EventStream</c> (the worker dials it with <c>--functions-uri</c>), and, like the host's
/// Durable extension, the Durable Task gRPC endpoint that <c>[DurableClient]</c> bindings point the worker's task hub
/// client at (<c>rpcBaseUrl</c>), over the real Azure Storage backend on Azurite. It does not dispatch orchestrations:
/// in Azure the host's extension triggers orchestrator and activity functions, which nothing here does.
/// </summary>
public sealed class FunctionsHostDouble : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FunctionRpcDouble.Workers _workers;

    private readonly DoubleLog _log;

    private FunctionsHostDouble(WebApplication app, FunctionRpcDouble.Workers workers, DoubleLog log, Uri address, string taskHub)
    {
        _log = log;
        _app = app;
        _workers = workers;
        Address = address;
        TaskHub = taskHub;
    }

    /// <summary>Where the double listens: the worker's <c>--functions-uri</c> and the durable clients' <c>rpcBaseUrl</c>.</summary>
    public Uri Address { get; }

    /// <summary>The task hub the Durable endpoint serves.</summary>
    public string TaskHub { get; }

    public static async Task<FunctionsHostDouble> StartAsync(string storageConnectionString, string taskHub)
    {
        var workers = new FunctionRpcDouble.Workers();
        var builder = WebApplication.CreateSlimBuilder();
        var log = new DoubleLog();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(grpc =>
        {
            // The host passes int.MaxValue as the message limit; payloads are small here, but mirror it.
            grpc.MaxReceiveMessageSize = int.MaxValue;
            grpc.MaxSendMessageSize = int.MaxValue;
        });
        builder.Services.AddSingleton(workers);

        var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = taskHub,
            StorageAccountClientProvider = new StorageAccountClientProvider(storageConnectionString),
        });
        await service.CreateIfNotExistsAsync();
        builder.Services.AddSingleton<IOrchestrationService>(service);
        builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
        builder.Services.AddSingleton(Options.Create(new TaskHubGrpcServerOptions { Mode = TaskHubGrpcServerMode.ApiServerOnly }));
        builder.Services.AddSingleton<DurableEndpoint>();

        var app = builder.Build();
        app.MapGrpcService<FunctionRpcDouble>();
        app.MapGrpcService<DurableEndpoint>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FunctionsHostDouble(app, workers, log, new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/"), taskHub);
    }

    /// <summary>Warnings and errors of the double itself (its Durable endpoint included).</summary>
    public string LogTail() => _log.Tail();

    /// <summary>The next worker to open an EventStream.</summary>
    public async Task<WorkerChannel> WaitForWorkerAsync(TimeSpan timeout, Func<string>? diagnostics = null)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            return await _workers.Connected.Reader.ReadAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No worker opened an EventStream within {timeout.TotalSeconds:0} s.\n{diagnostics?.Invoke()}");
        }
    }

    /// <summary>The <c>[DurableClient]</c> binding data the host's Durable extension passes in an invocation's input.</summary>
    public string DurableClientBindingData() => System.Text.Json.JsonSerializer.Serialize(new
    {
        taskHubName = TaskHub,
        connectionName = "Storage",
        rpcBaseUrl = Address.ToString(),
        requiredQueryStringParameters = "code=host-double",
        baseUrl = new Uri(Address, "runtime/webhooks/durabletask").ToString(),
    });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
