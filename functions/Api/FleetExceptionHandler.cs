using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Diagnostics;

namespace LdFleet.Functions.Api;

/// <summary>
/// Last line of the "every error is problem+json" rule: a client mistake the framework detected while
/// reading the request keeps its 4xx, an unreachable dependency is a 503 the client may retry, and only
/// what is left is a 500.
/// </summary>
internal sealed partial class FleetExceptionHandler : IExceptionHandler
{
    private readonly IProblemDetailsService _problems;
    private readonly ILogger<FleetExceptionHandler> _logger;

    public FleetExceptionHandler(IProblemDetailsService problems, ILogger<FleetExceptionHandler> logger)
    {
        _problems = problems;
        _logger = logger;
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to read an answer.
            httpContext.Response.StatusCode = 499;
            return true;
        }

        var (status, type, title) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, ProblemTypes.ForStatus(bad.StatusCode), "The request could not be read."),
            JsonException => (StatusCodes.Status400BadRequest, ProblemTypes.BadRequest, "The request body is not valid JSON."),
            RequestFailedException { Status: 0 or 408 or 429 or >= 500 } or TimeoutException or HttpRequestException
                => (StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "A storage or messaging dependency is unavailable; retry later."),
            _ => (StatusCodes.Status500InternalServerError, ProblemTypes.Unexpected, "An unexpected error occurred."),
        };

        if (status >= 500)
        {
            LogFailed(_logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }
        else
        {
            // A client's mistake (a body that is not JSON, a wrong type, a body too large) is not the app failing:
            // no stack trace at Error for every malformed request a client or a scanner sends, only a trace for debugging.
            LogClientError(_logger, httpContext.Request.Method, httpContext.Request.Path, status, exception.GetType().Name, exception.Message);
        }

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        httpContext.Response.StatusCode = status;
        return await _problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Type = type, Title = title, Detail = exception is BadHttpRequestException ? exception.Message : null },
        });
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "{Method} {Path} refused with {Status}: the request could not be read ({ExceptionType}: {Reason})")]
    private static partial void LogClientError(ILogger logger, string method, string path, int status, string exceptionType, string reason);
}
