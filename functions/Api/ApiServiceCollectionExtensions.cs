using System.Text.Encodings.Web;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using LdFleet.Functions.Api.Health;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Audit;
using LdFleet.Functions.Idempotency;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace LdFleet.Functions.Api;

internal static class ApiServiceCollectionExtensions
{
    /// <summary>Response headers a browser client may read.</summary>
    private static readonly string[] ExposedHeaders = ["Location", PagedResult<object>.TokenHeader, "Link", "Retry-After", "Idempotency-Replayed"];

    public static IHostApplicationBuilder AddFleetApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();

        services.AddProblemDetails(options =>
        {
            options.CustomizeProblemDetails = context =>
            {
                // Every problem names a stable type, including the ones the framework produces (404 routes, 401s, 500s).
                var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
                if (context.ProblemDetails.Type is null || context.ProblemDetails.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
                {
                    context.ProblemDetails.Type = ProblemTypes.ForStatus(status);
                }

                context.ProblemDetails.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
            };
        });
        // After the framework's writer (which serves requests that accept JSON): takes the problems it declines.
        services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();
        services.AddExceptionHandler<FleetExceptionHandler>();
        services.AddSingleton<ApiLinks>();
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter());

            // Answers are application/json, never inlined into HTML, so the HTML-safe default escaping only makes them
            // unreadable: a Chinese emulator title came back as \uXXXX runs and a version's '+' as \u002B.
            options.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((kestrel, api) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = api.Value.MaxRequestBodyBytes;
        });

        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(PartitionByCaller);
            options.OnRejected = OnRateLimitedAsync;
        });

        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<ApiOptions>>((cors, api) =>
        {
            if (api.Value.Cors.AllowedOrigins is { Length: > 0 } origins)
            {
                cors.AddDefaultPolicy(p => p.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod().WithExposedHeaders(ExposedHeaders));
            }
        });

        services.AddFleetOpenApi();

        // The request is how the Durable check finds the hub's client under the Functions host, and how /health
        // requests are told apart from the others when their log lines are written (Telemetry/HealthProbeLogging).
        services.AddHttpContextAccessor();
        services.AddSingleton<ProcessUptime>();
        services.AddHealthChecks()
            .AddCheck<TablesHealthCheck>("tables", tags: [FleetHealth.ReadyTag])
            .AddCheck<TransportHealthCheck>("transport", tags: [FleetHealth.ReadyTag])
            .AddCheck<DurableHealthCheck>("durable", tags: [FleetHealth.ReadyTag]);
        return builder;
    }

    /// <summary>
    /// The request pipeline, the same under both hostings (self-hosted after routing; under the Functions host inside
    /// each HTTP function, see <c>Hosting/Functions/FunctionsApi</c>). Order matters: the caller is authenticated before
    /// it is rate limited (limits are per caller), and mutating calls are audited with the final outcome, including
    /// refusals by authorization. Request bodies are prepared after authorization (an unauthenticated caller gets its
    /// 401 first) and before the endpoint's binder reads them. Routing's own 405 and 415 answers are authorized like the
    /// endpoints they answer for (<see cref="RoutingRejectionsMiddleware"/>), so a wrong method on an anonymous path is a
    /// 405 for everyone, and a caller without the role gets its 403 before a 415.
    /// </summary>
    public static IApplicationBuilder UseFleetPipeline(this IApplicationBuilder app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseCors();
        app.UseMiddleware<RoutingRejectionsMiddleware>();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseFleetAudit();
        app.UseAuthorization();
        app.UseJsonCharset();
        app.UseIdempotencyBodyBuffering();
        return app;
    }

    /// <summary>Health and the API description: anonymous, not rate limited.</summary>
    public static IEndpointRouteBuilder MapFleetApi(this IEndpointRouteBuilder endpoints)
    {
        // Resolved while the endpoints are mapped, which is start-up in both hostings: startedAt is when the app
        // started, not when the first probe came.
        var process = endpoints.ServiceProvider.GetRequiredService<ProcessUptime>();

        // Route handlers rather than MapHealthChecks, whose endpoints carry no handler and so are left out of the
        // OpenAPI document: the probes are part of the contract (load balancers, the hostile-input walk). MapGet also
        // makes any other method a 405, anonymous callers included (RoutingRejectionsMiddleware).
        endpoints.MapGet("/health/live", (HttpContext context, HealthCheckService health) => FleetHealth.ProbeAsync(context, health, _ => false, process))
            .AllowAnonymous().DisableRateLimiting().WithName("Live").WithTags(ApiTags.Health)
            .WithSummary("Liveness probe")
            .WithDescription("200 while the process serves requests. It checks no dependency, so storage being down never gets the app restarted.")
            .Produces<HealthView>(StatusCodes.Status200OK);
        endpoints.MapGet("/health/ready", (HttpContext context, HealthCheckService health) => FleetHealth.ProbeAsync(context, health, c => c.Tags.Contains(FleetHealth.ReadyTag), process))
            .AllowAnonymous().DisableRateLimiting().WithName("Ready").WithTags(ApiTags.Health)
            .WithSummary("Readiness probe")
            .WithDescription("200 when storage, messaging and the Durable task hub answer; 503 with the same report, naming the failed check, when one does not.")
            .Produces<HealthView>(StatusCodes.Status200OK)
            .Produces<HealthView>(StatusCodes.Status503ServiceUnavailable);

        if (endpoints.ServiceProvider.GetRequiredService<IOptions<ApiOptions>>().Value.ExposeDocs)
        {
            endpoints.MapOpenApi().AllowAnonymous();
            endpoints.MapScalarApiReference("/docs", options => options.WithTitle("LdFleet API").WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
        }

        return endpoints;
    }

    private static RateLimitPartition<string> PartitionByCaller(HttpContext context)
    {
        var limits = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.RateLimit;
        var caller = FleetCaller.From(context.User);

        // Unauthenticated requests share a bucket per client address, so token guessing is throttled too.
        var key = ReferenceEquals(caller, FleetCaller.Anonymous) ? "address:" + context.Connection.RemoteIpAddress : "caller:" + caller.Id;
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.Burst,
            TokensPerPeriod = limits.PerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static async ValueTask OnRateLimitedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var http = context.HttpContext;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Type = ProblemTypes.RateLimited,
                Title = "Too many requests.",
                Detail = $"This caller's request rate is limited; retry after {http.Response.Headers.RetryAfter} s.",
            },
        });
    }
}
