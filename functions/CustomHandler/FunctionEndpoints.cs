using System.Text.Json;
using LdFleet.Functions.Api;
using LdFleet.Functions.Hosting;

namespace LdFleet.Functions.CustomHandler;

/// <summary>An endpoint the Functions host invokes (not part of the public API).</summary>
internal sealed record FunctionInvocationMetadata(string FunctionName);

/// <summary>A function's body: the same services the self-hosted workers use.</summary>
internal delegate Task<FunctionResult> FunctionHandler(FunctionInvocation invocation, IServiceProvider services, CancellationToken cancellationToken);

internal static partial class FunctionEndpoints
{
    private static readonly JsonSerializerOptions EnvelopeJson = new() { PropertyNamingPolicy = null, MaxDepth = 64 };
    private static readonly JsonSerializerOptions ReturnValueJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Maps <c>POST /{functionName}</c> for every non-HTTP function, in custom-handler mode only. Kestrel then
    /// listens on 127.0.0.1 alone and public requests arrive forwarded under <c>/api/</c>, so these paths are
    /// reachable by the host only; self-hosted, they do not exist at all. Adding a function is one line here.
    /// </summary>
    public static WebApplication MapFunctionInvocations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!HostingMode.IsCustomHandler(app.Configuration))
        {
            return app;
        }

        app.MapFunction(FunctionNames.Sweep, SweepFunction.InvokeAsync);
        app.MapFunction(FunctionNames.Cleanup, CleanupFunction.InvokeAsync);
        app.MapFunction(FunctionNames.RelayResults, RelayResultsFunction.ServiceBusAsync);
        app.MapFunction(FunctionNames.RelayResultsStorage, RelayResultsFunction.StorageQueueAsync);
        return app;
    }

    public static RouteHandlerBuilder MapFunction(this IEndpointRouteBuilder endpoints, string name, FunctionHandler handler) =>
        endpoints.MapPost("/" + name, (Func<HttpContext, Task<IResult>>)(context => InvokeAsync(context, name, handler)))
            .WithName("Function:" + name)
            .WithMetadata(new FunctionInvocationMetadata(name))
            .ExcludeFromDescription()
            .AllowAnonymous()
            .DisableRateLimiting();

    private static async Task<IResult> InvokeAsync(HttpContext context, string name, FunctionHandler handler)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("LdFleet.Functions.CustomHandler");
        FunctionInvocation invocation;
        try
        {
            var envelope = await JsonSerializer.DeserializeAsync<Envelope>(context.Request.Body, EnvelopeJson, context.RequestAborted);
            invocation = new FunctionInvocation(envelope?.Data ?? [], envelope?.Metadata ?? []);
        }
        catch (JsonException ex)
        {
            LogBadEnvelope(logger, name, ex.Message);
            return Problems.Validation("body", "The body is not a Functions invocation envelope ({ \"Data\": {...}, \"Metadata\": {...} }).");
        }

        var invocationId = context.Request.Headers["X-Azure-Functions-InvocationId"].ToString();
        FunctionResult result;
        try
        {
            result = await handler(invocation, context.RequestServices, context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            LogFailed(logger, ex, name, invocationId);
            result = FunctionResult.Failure($"{name} failed: {ex.GetType().Name}: {ex.Message}");
        }

        var body = new Dictionary<string, object?>
        {
            ["Outputs"] = new Dictionary<string, object?>(),
            ["Logs"] = result.Logs,

            // An object, never a bare string: the host tries to base64-decode string outputs (reference C.4).
            ["ReturnValue"] = result.ReturnValue is null ? null : JsonSerializer.SerializeToElement(result.ReturnValue, ReturnValueJson),
        };
        return Results.Json(body, EnvelopeJson, statusCode: result.Succeeded ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private sealed record Envelope(Dictionary<string, JsonElement>? Data, Dictionary<string, JsonElement>? Metadata);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Invocation of {Function} had no valid envelope: {Reason}")]
    private static partial void LogBadEnvelope(ILogger logger, string function, string reason);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Error, Message = "Invocation {InvocationId} of {Function} failed; the host retries it per its trigger's rules")]
    private static partial void LogFailed(ILogger logger, Exception exception, string function, string invocationId);
}
