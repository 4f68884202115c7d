using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing.Template;

namespace LdFleet.Functions.Api;

/// <summary>
/// A method that an anonymous path does not take (<c>POST /health/ready</c>) is a 405 for every caller. Routing answers
/// such a request with an endpoint of its own that sets the 405 and <c>Allow</c>, and carries no metadata, so the
/// fallback authorization policy (a signed-in caller) applied to it: an anonymous probe got a 401, as if the path needed
/// a token. That endpoint is marked anonymous here when every endpoint whose route matches the path is anonymous. On a
/// protected path the 401 still comes first, so an anonymous caller learns nothing about the methods it takes.
/// Self-hosted only in effect: under the Functions host a request reaches the pipeline through its function, whose
/// endpoint it already has, and the host itself answers a method no function takes.
/// </summary>
internal sealed class MethodNotAllowedMiddleware
{
    /// <summary>The display name of routing's 405 endpoint (HttpMethodMatcherPolicy), the one way to tell it apart.</summary>
    private const string RejectionDisplayName = "405 HTTP Method Not Supported";

    private readonly RequestDelegate _next;
    private IReadOnlyList<(TemplateMatcher Matcher, bool Anonymous)>? _routes;

    public MethodNotAllowedMiddleware(RequestDelegate next) => _next = next;

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.GetEndpoint() is { DisplayName: RejectionDisplayName, Metadata.Count: 0 } rejection && OnlyAnonymous(context))
        {
            context.SetEndpoint(new Endpoint(rejection.RequestDelegate, new EndpointMetadataCollection(new AllowAnonymousAttribute()), rejection.DisplayName));
        }

        return _next(context);
    }

    private bool OnlyAnonymous(HttpContext context)
    {
        // Built on the first 405, not at start-up: under the Functions host the endpoint table is only complete once the
        // pipeline that holds this middleware has been built (FunctionsApi).
        _routes ??= [.. context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (new TemplateMatcher(new RouteTemplate(e.RoutePattern), new RouteValueDictionary(e.RoutePattern.Defaults)), e.Metadata.GetMetadata<IAllowAnonymous>() is not null))];
        var matching = _routes.Where(r => r.Matcher.TryMatch(context.Request.Path, new RouteValueDictionary())).ToList();
        return matching.Count > 0 && matching.All(r => r.Anonymous);
    }
}
