using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Api;

/// <summary>
/// The URLs the API hands out (Location, Link). Never built from the request's Host header: a client or anything in
/// between controls it, so <c>Host: evil.example</c> would come back as a Location a client then follows with its
/// bearer token. With <c>Api:PublicBaseUrl</c> set they are absolute under that URL; without it they are relative
/// references (RFC 9110 §10.2.2 allows them in Location), which a client resolves against the URL it called.
/// </summary>
internal sealed class ApiLinks
{
    private readonly LinkGenerator _links;
    private readonly string? _base;

    public ApiLinks(LinkGenerator links, IOptions<ApiOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _links = links;
        _base = string.IsNullOrWhiteSpace(options.Value.PublicBaseUrl) ? null : options.Value.PublicBaseUrl.Trim().TrimEnd('/');
    }

    /// <summary>The URL of the endpoint named <paramref name="endpointName"/> with <paramref name="values"/> (escaped by the router).</summary>
    public string To(string endpointName, object values)
    {
        // No PathBase: the route table is the app's whole URL space under both hostings (the Functions route prefix is empty).
        var path = _links.GetPathByName(endpointName, values)
            ?? throw new InvalidOperationException($"No endpoint named '{endpointName}' takes these route values.");
        return Resolve(path);
    }

    /// <summary><paramref name="pathAndQuery"/> (starting with '/') as the URL a client should use.</summary>
    public string Resolve(string pathAndQuery)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathAndQuery);
        return _base is null ? pathAndQuery : _base + pathAndQuery;
    }
}
