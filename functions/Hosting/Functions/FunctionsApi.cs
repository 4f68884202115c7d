using System.Reflection;
using LdFleet.Functions.Api;
using LdFleet.Functions.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace LdFleet.Functions.Hosting.Functions;

/// <summary>
/// The app's HTTP endpoints under the Functions host. The worker's own ASP.NET Core pipeline is fixed (routing, then
/// the function), so each HTTP function hands its request to the same pipeline and endpoint the self-hosted app runs:
/// the endpoints are mapped once, from <see cref="FleetAppComposition.MapFleetEndpoints"/>, into a table of their own;
/// an invocation marks the function's endpoint as the request's endpoint and runs <see cref="ApiServiceCollectionExtensions.UseFleetPipeline"/>
/// in front of it. Authentication, roles, rate limits, audit, idempotency and problem details are thereby the same code
/// in both hostings, and the route table is one: every endpoint must have the function of its route and method, or the
/// worker refuses to start (a function whose endpoint configuration turned off answers 404).
/// </summary>
internal sealed class FunctionsApi
{
    private readonly Dictionary<string, RouteEndpoint> _byFunction;
    private readonly Lazy<RequestDelegate> _pipeline;

    public FunctionsApi(IServiceProvider services)
    {
        var table = new EndpointTable(services);
        table.MapFleetEndpoints();
        Endpoints = new CompositeEndpointDataSource(table.DataSources);

        var endpoints = Endpoints.Endpoints.OfType<RouteEndpoint>().ToList();
        _byFunction = new Dictionary<string, RouteEndpoint>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var function in HttpFunctions())
        {
            var match = endpoints.Where(e => Matches(e, function)).ToList();
            // No match: an endpoint that configuration turned off here (the docs, the dashboard, diagnostics).
            if (match.Count == 1)
            {
                _byFunction[function.Name] = match[0];
            }
            else if (match.Count > 1)
            {
                problems.Add($"HTTP function {function.Name} ({string.Join(",", function.Methods)} {function.Route}) matches {match.Count} endpoints");
            }
        }

        foreach (var endpoint in endpoints.Where(e => !_byFunction.ContainsValue(e)))
        {
            problems.Add($"endpoint {endpoint.DisplayName} ({endpoint.RoutePattern.RawText}) has no HTTP function");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The HTTP functions and the app's endpoints differ: " + string.Join("; ", problems));
        }

        // Built after construction: the pipeline's authorization middleware asks the container for the
        // EndpointDataSource, which is this object's table, so building it here recursed without end under the host.
        _pipeline = new Lazy<RequestDelegate>(() =>
        {
            var pipeline = new ApplicationBuilder(services);
            pipeline.UseFleetPipeline();
            pipeline.Run(context => context.GetEndpoint()?.RequestDelegate?.Invoke(context) ?? Task.CompletedTask);
            return pipeline.Build();
        });
    }

    /// <summary>Builds the pipeline now (at start-up) rather than on the first request.</summary>
    public void BuildPipeline() => _ = _pipeline.Value;

    /// <summary>The app's endpoints (for the OpenAPI document and link generation under the host).</summary>
    public EndpointDataSource Endpoints { get; }

    /// <summary>Every HTTP function: name, route and methods as its trigger declares them.</summary>
    public static IReadOnlyList<HttpFunction> HttpFunctions() =>
        [.. typeof(FunctionsApi).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Select(m => (Function: m.GetCustomAttribute<FunctionAttribute>(), Trigger: m.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
            .Where(f => f.Function is not null && f.Trigger is not null)
            .Select(f => new HttpFunction(f.Function!.Name, f.Trigger!.Route ?? f.Function.Name, [.. (f.Trigger.Methods ?? []).Select(m => m.ToUpperInvariant())]))];

    /// <summary>The function's answer: the app's pipeline and endpoint run on the request, with the function's task hub client.</summary>
    public IResult Handle(string function, DurableTaskClient client) =>
        _byFunction.TryGetValue(function, out var endpoint)
            ? new Invocation(this, endpoint, client)
            : Problems.NotFound("Not found", "This endpoint is turned off in this deployment's configuration.");

    private static bool Matches(RouteEndpoint endpoint, HttpFunction function) =>
        Normalize(endpoint.RoutePattern.RawText) == Normalize(function.Route)
        && (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Order().SequenceEqual(function.Methods.Order());

    /// <summary>Routes compare without their leading slash (the host's route prefix is empty).</summary>
    internal static string Normalize(string? route) => (route ?? "").Trim('/');

    private sealed class Invocation(FunctionsApi api, RouteEndpoint endpoint, DurableTaskClient client) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            // The worker's routing already filled the route values from the same template.
            httpContext.RequestServices.GetRequiredService<DurableClientScope>().Use(client);
            httpContext.SetEndpoint(endpoint);

            // The host's invocation runs on the flow of its gRPC call, not of the HTTP request, so IHttpContextAccessor
            // would be empty here: the Durable health check (in a DI scope of its own) finds the request's client
            // through it, and the lines a /health request logs are lowered to Debug by it, as self-hosted.
            var accessor = httpContext.RequestServices.GetService<IHttpContextAccessor>();
            var flowing = accessor is null || accessor.HttpContext is not null;
            if (!flowing)
            {
                accessor!.HttpContext = httpContext;
            }

            try
            {
                await api._pipeline.Value(httpContext);
            }
            finally
            {
                if (!flowing)
                {
                    accessor!.HttpContext = null;
                }
            }
        }
    }

    /// <summary>Collects mapped endpoints without serving them.</summary>
    private sealed class EndpointTable(IServiceProvider services) : IEndpointRouteBuilder
    {
        public IServiceProvider ServiceProvider => services;

        public ICollection<EndpointDataSource> DataSources { get; } = [];

        public IApplicationBuilder CreateApplicationBuilder() => new ApplicationBuilder(services);
    }
}

/// <summary>An HTTP function as its trigger declares it.</summary>
internal sealed record HttpFunction(string Name, string Route, IReadOnlyList<string> Methods);
