using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace LdFleet.Functions.Api;

/// <summary>
/// Errors are problem+json whatever the request's Accept header says. The framework's writer declines when Accept
/// names no JSON type (<c>application/xml</c>, <c>text/html</c>, <c>image/png</c>), and then the status-code pages,
/// the exception handler and the rate limiter fall back to text/plain or an empty body. Registered after the
/// framework's writer, this one takes every problem that writer declined, so a client always gets the same
/// machine-readable error with its stable type (an error is not content negotiation's to refuse with a 406).
/// </summary>
internal sealed class ProblemJsonWriter : IProblemDetailsWriter
{
    private const string ContentType = "application/problem+json";

    private readonly ProblemDetailsOptions _options;
    private readonly JsonSerializerOptions _json;

    public ProblemJsonWriter(IOptions<ProblemDetailsOptions> options, IOptions<HttpJsonOptions> json)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(json);
        _options = options.Value;
        _json = json.Value.SerializerOptions;
    }

    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        var problem = context.ProblemDetails;

        // What the framework's writer fills in before customizing: the status, and its reason phrase as the title.
        problem.Status ??= http.Response.StatusCode;
        if (problem.Title is null && ReasonPhrases.GetReasonPhrase(problem.Status.Value) is { Length: > 0 } reason)
        {
            problem.Title = reason;
        }

        _options.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(http.Response.WriteAsJsonAsync(problem, problem.GetType(), _json, ContentType, http.RequestAborted));
    }
}
