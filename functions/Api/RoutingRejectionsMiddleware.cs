using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing.Template;

namespace LdFleet.Functions.Api;

/// <summary>
/// Routing's own refusals are authorized like the endpoints they refuse for. When a path's endpoints take no such method
/// (<c>POST /health/ready</c>), or the endpoint of the path and method takes no such content type (a handler's inferred
/// JSON body refuses <c>multipart/form-data</c>), routing picks an endpoint of its own that sets the 405 (with
/// <c>Allow</c>) or the 415 and carries no metadata, so only the fallback policy (a signed-in caller) applied to it:
/// an anonymous probe got a 401 for a path that needs no token, and a signed-in caller without the endpoint's role got
/// the 415 instead of its 403. Here a 405 is anonymous when every endpoint of the path is (on a protected path an
/// anonymous caller still gets its 401 first, and learns nothing about methods), and a 415 takes the authorization of
/// the endpoints of its path and method. Self-hosted only in effect: under the Functions host a request reaches the
/// pipeline through its function, whose endpoint it already has.
/// </summary>
internal sealed class RoutingRejectionsMiddleware
{
    /// <summary>The display names of routing's rejection endpoints (HttpMethodMatcherPolicy, AcceptsMatcherPolicy), the one way to tell them apart.</summary>
    private const string MethodRejection = "405 HTTP Method Not Supported";
    private const string MediaTypeRejection = "415 HTTP Unsupported Media Type";

    private readonly RequestDelegate _next;
    private IReadOnlyList<(TemplateMatcher Matcher, RouteEndpoint Endpoint)>? _routes;

    public RoutingRejectionsMiddleware(RequestDelegate next) => _next = next;

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.GetEndpoint() is { Metadata.Count: 0, DisplayName: MethodRejection or MediaTypeRejection } rejection)
        {
            var mediaType = rejection.DisplayName == MediaTypeRejection;
            var refusedFor = Matching(context, mediaType ? context.Request.Method : null);
            if (refusedFor.Count > 0 && refusedFor.All(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null))
            {
                context.SetEndpoint(new Endpoint(rejection.RequestDelegate, new EndpointMetadataCollection(new AllowAnonymousAttribute()), rejection.DisplayName));
            }
            else if (mediaType && refusedFor.Count > 0)
            {
                var authorization = refusedFor.SelectMany(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>()).Cast<object>();
                context.SetEndpoint(new Endpoint(rejection.RequestDelegate, new EndpointMetadataCollection(authorization), rejection.DisplayName));
            }
        }

        return _next(context);
    }

    /// <summary>The app's endpoints whose route matches the request's path (and take <paramref name="method"/>, when given).</summary>
    private List<RouteEndpoint> Matching(HttpContext context, string? method)
    {
        // Built on the first rejection, not at start-up: under the Functions host the endpoint table is only complete once
        // the pipeline that holds this middleware has been built (FunctionsApi).
        _routes ??= [.. context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (new TemplateMatcher(new RouteTemplate(e.RoutePattern), new RouteValueDictionary(e.RoutePattern.Defaults)), e))];
        return [.. _routes
            .Where(r => method is null || r.Endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is not { } methods || methods.Contains(method, StringComparer.OrdinalIgnoreCase))
            .Where(r => r.Matcher.TryMatch(context.Request.Path, new RouteValueDictionary()))
            .Select(r => r.Endpoint)];
    }
}
