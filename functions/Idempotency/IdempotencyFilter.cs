using System.Security.Cryptography;
using System.Text;
using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Security;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Idempotency;

/// <summary>Marks an endpoint as honouring <c>Idempotency-Key</c> (the OpenAPI document lists the header).</summary>
internal sealed class IdempotencyKeyMetadata;

/// <summary>
/// <c>Idempotency-Key</c> for POSTs that start work: the first request with a key runs and its answer (status,
/// Location, body) is kept for the caller; a retry with the same key and the same request gets that answer
/// again (with <c>Idempotency-Replayed: true</c>) instead of starting a second operation. The same key with a
/// different request is a 422. A duplicate that arrives while the first still runs waits for its answer.
/// Keys belong to the caller: two callers never see each other's answers. 5xx answers are not kept, so a
/// retry after a server failure runs again.
/// </summary>
internal sealed partial class IdempotencyFilter : IEndpointFilter
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotency-Replayed";
    public const int MaxKeyLength = 255;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly IdempotencyStore _store;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<IdempotencyOptions> _options;
    private readonly ILogger<IdempotencyFilter> _logger;

    public IdempotencyFilter(IdempotencyStore store, TimeProvider time, IOptionsMonitor<IdempotencyOptions> options, ILogger<IdempotencyFilter> logger)
    {
        _store = store;
        _time = time;
        _options = options;
        _logger = logger;
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var values = http.Request.Headers[HeaderName];
        if (values.Count == 0)
        {
            return await next(context);
        }

        if (values.Count > 1 || values[0] is not { } key || !IsValidKey(key))
        {
            return Problems.Validation(HeaderName, $"{HeaderName} is one value of 1 to {MaxKeyLength} printable ASCII characters (a UUID is a good choice).");
        }

        var options = _options.CurrentValue;
        var caller = FleetCaller.From(http.User).Key;
        var fingerprint = await FingerprintAsync(http.Request, http.RequestAborted);
        var deadline = _time.GetUtcNow() + options.WaitForDuplicate;
        while (true)
        {
            var claim = await _store.ClaimAsync(caller, key, fingerprint, _time.GetUtcNow(), options, http.RequestAborted);
            switch (claim)
            {
                case IdempotencyClaim.Completed completed:
                    return new ReplayResult(completed.Response);
                case IdempotencyClaim.Mismatch:
                    return Problems.Status(StatusCodes.Status422UnprocessableEntity, ProblemTypes.IdempotencyKeyReused, "Idempotency-Key reused.", $"This {HeaderName} was used with a different request; use a new key for a new request.");
                case IdempotencyClaim.Claimed claimed:
                    return await RunAsync(context, next, caller, key, fingerprint, claimed, options);
            }

            if (_time.GetUtcNow() >= deadline)
            {
                http.Response.Headers.RetryAfter = "1";
                return Problems.Status(StatusCodes.Status409Conflict, ProblemTypes.IdempotencyInProgress, "A request with this Idempotency-Key is in progress.", "Retry shortly to get its answer.");
            }

            await Task.Delay(PollInterval, _time, http.RequestAborted);
        }
    }

    private async Task<object?> RunAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, string caller, string key, string fingerprint, IdempotencyClaim.Claimed claim, IdempotencyOptions options)
    {
        var http = context.HttpContext;
        StoredResponse response;
        try
        {
            var result = await next(context);
            response = await CaptureAsync(http, result);
        }
        catch
        {
            await _store.ReleaseAsync(caller, key, claim.ETag, CancellationToken.None);
            throw;
        }

        if (response.Status >= 500)
        {
            await _store.ReleaseAsync(caller, key, claim.ETag, CancellationToken.None);
        }
        else if (!await _store.CompleteAsync(caller, key, claim.ETag, fingerprint, response, _time.GetUtcNow(), options, CancellationToken.None))
        {
            LogLeaseLost(_logger, options.Lease);
        }

        // The response was written to a buffer while it was captured; send those same bytes.
        return new ReplayResult(response, replayed: false);
    }

    /// <summary>Runs the endpoint's result against a buffer, so its status, Location and body can be kept.</summary>
    private static async Task<StoredResponse> CaptureAsync(HttpContext http, object? result)
    {
        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            var executable = result as IResult ?? (result is null ? TypedResults.Empty : TypedResults.Ok(result));
            await executable.ExecuteAsync(http);
        }
        finally
        {
            http.Response.Body = original;
        }

        return new StoredResponse(http.Response.StatusCode, http.Response.Headers.Location.FirstOrDefault(), http.Response.ContentType, buffer.ToArray());
    }

    /// <summary>
    /// Method, path, query and body: "the same request" is byte-for-byte the same. A filter runs after model binding
    /// has read the body to its end, so the body is hashed from its start, which the pipeline kept for it
    /// (<see cref="IdempotencyBodyBuffering"/>); reading on from where the binder stopped would hash no body at all
    /// and take any body for the first one.
    /// </summary>
    private static async Task<string> FingerprintAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.Body.CanSeek)
        {
            throw new InvalidOperationException($"The request body of an {HeaderName} endpoint was not buffered before binding; the pipeline must run UseIdempotencyBodyBuffering.");
        }

        request.Body.Position = 0;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.Path}\n{request.QueryString}\n"));
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            hash.AppendData(chunk, 0, read);
        }

        request.Body.Position = 0;
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static bool IsValidKey(string key) => key.Length is > 0 and <= MaxKeyLength && key.All(c => c is >= ' ' and <= '~');

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "An Idempotency-Key was taken over by a retry while its request still ran (longer than the {Lease} lease); the retry may have started a second operation")]
    private static partial void LogLeaseLost(ILogger logger, TimeSpan lease);

    /// <summary>Writes a kept response.</summary>
    private sealed class ReplayResult : IResult
    {
        private readonly StoredResponse _response;
        private readonly bool _replayed;

        public ReplayResult(StoredResponse response, bool replayed = true)
        {
            _response = response;
            _replayed = replayed;
        }

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = _response.Status;
            if (_response.Location is not null)
            {
                httpContext.Response.Headers.Location = _response.Location;
            }

            if (_replayed)
            {
                httpContext.Response.Headers[ReplayedHeader] = "true";
            }

            if (_response.Body is { Length: > 0 } body)
            {
                httpContext.Response.ContentType = _response.ContentType;
                await httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted);
            }
        }
    }
}

/// <summary>
/// Keeps the body of a request to an <c>Idempotency-Key</c> endpoint that carries a key, so <see cref="IdempotencyFilter"/>
/// can fingerprint it after the endpoint's binder consumed it. Runs in the pipeline, before the endpoint binds.
/// </summary>
internal static class IdempotencyBodyBuffering
{
    public static IApplicationBuilder UseIdempotencyBodyBuffering(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<IdempotencyKeyMetadata>() is not null
                && context.Request.Headers.ContainsKey(IdempotencyFilter.HeaderName))
            {
                // In memory up to 30 KiB, then a temporary file; bounded by Api:MaxRequestBodyBytes like any body.
                context.Request.EnableBuffering();
            }

            return next(context);
        });
}

internal static class IdempotencyEndpointConventionBuilderExtensions
{
    /// <summary>Makes the endpoint honour <c>Idempotency-Key</c>; see <see cref="IdempotencyFilter"/>.</summary>
    public static TBuilder WithIdempotencyKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter<TBuilder, IdempotencyFilter>();
        builder.WithMetadata(new IdempotencyKeyMetadata());
        return builder;
    }
}
