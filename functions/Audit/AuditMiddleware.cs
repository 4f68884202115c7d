using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Idempotency;

namespace LdFleet.Functions.Audit;

/// <summary>
/// Writes an audit row for every mutating API call once its outcome is known, refusals included (a
/// forbidden DELETE is exactly what an auditor looks for). Reads are not audited. A failure to write the row
/// is logged and does not undo or fail the call, which has already happened.
/// </summary>
internal sealed partial class AuditMiddleware
{
    private readonly RequestDelegate _next;
    private readonly AuditStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditMiddleware> _logger;

    public AuditMiddleware(RequestDelegate next, AuditStore store, TimeProvider time, ILogger<AuditMiddleware> logger)
    {
        _next = next;
        _store = store;
        _time = time;
        _logger = logger;
    }

    public static bool IsAudited(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        && request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!IsAudited(context.Request))
        {
            await _next(context);
            return;
        }

        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await _next(context);
            status = context.Response.StatusCode;
        }
        finally
        {
            await RecordAsync(context, status);
        }
    }

    private async Task RecordAsync(HttpContext context, int status)
    {
        var caller = FleetCaller.From(context.User);
        var endpoint = context.GetEndpoint();
        var action = endpoint?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName
            ?? (endpoint as RouteEndpoint)?.RoutePattern.RawText
            ?? "unmatched";
        var target = string.Join('/', context.Request.RouteValues.Select(kv => $"{kv.Key}={kv.Value}"));
        var outcome = status switch
        {
            < 400 => "succeeded",
            401 or 403 => "denied",
            < 500 => "rejected",
            _ => "failed",
        };
        try
        {
            await _store.AddAsync(
                new AuditEntry(_time.GetUtcNow(), caller.Id, caller.Name, caller.Roles, action, context.Request.Method, context.Request.Path.Value ?? "", target, status, outcome, context.TraceIdentifier, context.Request.Headers[IdempotencyFilter.HeaderName].FirstOrDefault()),
                CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogAuditFailed(_logger, ex, context.Request.Method, action, status);
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Error, Message = "Audit row for {Method} {Action} ({Status}) could not be written")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string method, string action, int status);
}
