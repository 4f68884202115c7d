using Google.Protobuf.WellKnownTypes;
using LdFleet.FunctionsHost.Tests.Rpc;

namespace LdFleet.FunctionsHost.Tests.HostDouble;

/// <summary>
/// What the host does with a worker once it has connected, step by step in the host's order: init, metadata, load,
/// invoke. Each step returns the worker's answer for the test to check.
/// </summary>
public sealed class HostSession(WorkerChannel worker, FunctionsHostDouble host, string appDirectory, TimeSpan stepTimeout)
{
    private int _requests;

    public WorkerChannel Worker => worker;

    /// <summary>The worker's own HTTP endpoint (capability <c>HttpUri</c>), once <see cref="InitAsync"/> has run.</summary>
    public Uri? HttpUri { get; private set; }

    public async Task<WorkerInitResponse> InitAsync()
    {
        var request = new WorkerInitRequest
        {
            HostVersion = "4.1042.0.0",
            FunctionAppDirectory = appDirectory,
            WorkerDirectory = appDirectory,
        };
        foreach (var capability in (string[])["MultiStream", "HandlesWorkerTerminateMessage", "HandlesInvocationCancelMessage", "IncludeEmptyEntriesInMessagePayload", "EnableUserCodeException"])
        {
            request.Capabilities[capability] = "true";
        }

        await worker.SendAsync(new StreamingMessage { RequestId = NextId(), WorkerInitRequest = request });
        var response = (await worker.ReceiveAsync(m => m.ContentCase == StreamingMessage.ContentOneofCase.WorkerInitResponse, stepTimeout, "WorkerInitResponse")).WorkerInitResponse;
        if (response.Capabilities.TryGetValue("HttpUri", out var uri))
        {
            HttpUri = new Uri(uri.EndsWith('/') ? uri : uri + "/");
        }

        return response;
    }

    public async Task<FunctionMetadataResponse> GetMetadataAsync()
    {
        await worker.SendAsync(new StreamingMessage { RequestId = NextId(), FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = appDirectory } });
        return (await worker.ReceiveAsync(m => m.ContentCase == StreamingMessage.ContentOneofCase.FunctionMetadataResponse, stepTimeout, "FunctionMetadataResponse")).FunctionMetadataResponse;
    }

    /// <summary>Loads one function the way the host does after worker indexing: its id and the metadata the worker gave.</summary>
    public async Task<FunctionLoadResponse> LoadAsync(RpcFunctionMetadata function)
    {
        ArgumentNullException.ThrowIfNull(function);
        await worker.SendAsync(new StreamingMessage { RequestId = NextId(), FunctionLoadRequest = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = function } });
        return (await worker.ReceiveAsync(m => m.FunctionLoadResponse?.FunctionId == function.FunctionId, stepTimeout, $"FunctionLoadResponse for {function.Name}")).FunctionLoadResponse;
    }

    /// <summary>
    /// An HTTP function invoked as the host does it with the ASP.NET Core integration: the request is forwarded to the
    /// worker's own HTTP endpoint with header <c>x-ms-invocation-id</c>, then the invocation follows on the stream; the
    /// answer comes back on the forwarded call.
    /// </summary>
    public async Task<(HttpResponseMessage Http, InvocationResponse Invocation)> InvokeHttpAsync(RpcFunctionMetadata function, HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(request);
        var invocationId = Guid.NewGuid().ToString();
        request.Headers.Add("x-ms-invocation-id", invocationId);
        using var http = new HttpClient { BaseAddress = HttpUri ?? throw new InvalidOperationException("The worker reported no HttpUri."), Timeout = stepTimeout };
        var forwarded = http.SendAsync(request);

        var invocation = await InvokeAsync(function, invocationId, binding => binding.Type == "httpTrigger" ? new TypedData { Http = new RpcHttp() } : null, new Dictionary<string, TypedData>());
        return (await forwarded, invocation);
    }

    /// <summary>
    /// Any other trigger: <paramref name="trigger"/> gives the trigger binding's data, the host's Durable extension
    /// gives every <c>durableClient</c> binding its connection data.
    /// </summary>
    public Task<InvocationResponse> InvokeAsync(RpcFunctionMetadata function, TypedData trigger, IReadOnlyDictionary<string, TypedData> triggerMetadata) =>
        InvokeAsync(function, Guid.NewGuid().ToString(), binding => binding.Type.EndsWith("Trigger", StringComparison.Ordinal) ? trigger : null, triggerMetadata);

    private async Task<InvocationResponse> InvokeAsync(RpcFunctionMetadata function, string invocationId, Func<BindingInfo, TypedData?> triggerData, IReadOnlyDictionary<string, TypedData> triggerMetadata)
    {
        // The host always sends a trace context (the worker reads it unconditionally).
        var request = new InvocationRequest
        {
            InvocationId = invocationId,
            FunctionId = function.FunctionId,
            TraceContext = new RpcTraceContext { TraceParent = $"00-{Guid.NewGuid():N}-{Guid.NewGuid().ToString("N")[..16]}-01" },
        };
        foreach (var (name, binding) in function.Bindings.Where(b => b.Value.Direction == BindingInfo.Types.Direction.In))
        {
            var data = binding.Type == "durableClient" ? new TypedData { String = host.DurableClientBindingData() } : triggerData(binding);
            if (data is null)
            {
                throw new InvalidOperationException($"The double has no data for binding {name} ({binding.Type}) of {function.Name}.");
            }

            request.InputData.Add(new ParameterBinding { Name = name, Data = data });
        }

        foreach (var (key, value) in triggerMetadata)
        {
            request.TriggerMetadata[key] = value;
        }

        await worker.SendAsync(new StreamingMessage { RequestId = NextId(), InvocationRequest = request });
        return (await worker.ReceiveAsync(m => m.InvocationResponse?.InvocationId == invocationId, stepTimeout, $"InvocationResponse for {function.Name}")).InvocationResponse;
    }

    /// <summary>
    /// Waits until the worker's HTTP endpoint accepts connections and returns how long that took. The worker reports
    /// <c>HttpUri</c> before its Kestrel listens (the web host starts after the app's other hosted services); the real
    /// host covers the gap by retrying a refused forward (10 times, 50-250 ms apart, about 2.3 s in all).
    /// </summary>
    public async Task<TimeSpan> WaitForHttpAsync()
    {
        var uri = HttpUri ?? throw new InvalidOperationException("The worker reported no HttpUri.");
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource(stepTimeout);
        while (true)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(uri.Host, uri.Port, cancel.Token);
                return started.Elapsed;
            }
            catch (System.Net.Sockets.SocketException) when (!cancel.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The worker's HTTP endpoint {uri} did not accept connections within {stepTimeout.TotalSeconds:0} s.\n{worker.LogTail()}");
            }
        }
    }

    /// <summary>Asks the worker to stop, as the host does on shutdown.</summary>
    public ValueTask TerminateAsync() =>
        worker.SendAsync(new StreamingMessage { RequestId = NextId(), WorkerTerminate = new WorkerTerminate { GracePeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) } });

    private string NextId() => Interlocked.Increment(ref _requests).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
