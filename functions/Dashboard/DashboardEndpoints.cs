using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Security;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Dashboard;

/// <summary>What the page needs to know before anyone signs in: which ways of signing in this deployment offers.</summary>
internal sealed record DashboardConfig(bool DevIssuer, EntraSignIn? Entra);

/// <summary>MSAL.js settings for the Entra ID sign-in.</summary>
internal sealed record EntraSignIn(string Authority, string ClientId, IReadOnlyList<string> Scopes);

internal static class DashboardEndpoints
{
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.SectionName);
        builder.Services.AddSingleton(_ => DashboardAssets.Load(typeof(DashboardEndpoints).Assembly));
        return builder;
    }

    /// <summary>
    /// The dashboard: static files and its sign-in settings, open to anyone (they hold no data; every API call the
    /// page makes carries the user's token). Under <c>/dashboard/</c> so relative asset URLs resolve the same way
    /// behind any host.
    /// </summary>
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        if (!endpoints.ServiceProvider.GetRequiredService<IOptions<DashboardOptions>>().Value.Enabled)
        {
            return endpoints;
        }

        var group = endpoints.MapGroup("/dashboard").AllowAnonymous().ExcludeFromDescription().WithTags("Dashboard");
        group.MapGet("", (HttpContext http, DashboardAssets assets) =>
        {
            // Routing matches /dashboard/ here too; only the bare /dashboard moves, so relative asset URLs resolve.
            if (http.Request.Path.Value?.EndsWith('/') == true)
            {
                return ServeAsset(null, http, assets);
            }

            AddSecurityHeaders(http);
            return TypedResults.Redirect(http.Request.PathBase + "/dashboard/" + http.Request.QueryString);
        }).WithName("DashboardRoot");
        group.MapGet("/config.json", (HttpContext http, IOptions<DashboardOptions> dashboard, IOptions<EntraOptions> entra, IOptions<DevIssuerOptions> dev) =>
        {
            AddSecurityHeaders(http);
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(Config(dashboard.Value, entra.Value, dev.Value));
        }).WithName("DashboardConfig");
        group.MapGet("/{**path}", ServeAsset).WithName("DashboardAsset");
        return endpoints;
    }

    internal static DashboardConfig Config(DashboardOptions dashboard, EntraOptions entra, DevIssuerOptions dev)
    {
        EntraSignIn? signIn = null;
        if (entra.IsConfigured)
        {
            var authority = entra.Instance.TrimEnd('/') + "/" + (string.IsNullOrWhiteSpace(entra.TenantId) ? "organizations" : entra.TenantId);
            var scopes = dashboard.Scopes is { Length: > 0 } s ? s : [$"api://{entra.ClientId}/.default"];
            signIn = new EntraSignIn(authority, string.IsNullOrWhiteSpace(dashboard.ClientId) ? entra.ClientId : dashboard.ClientId, scopes);
        }

        return new DashboardConfig(dev.Enabled, signIn);
    }

    private static IResult ServeAsset(string? path, HttpContext http, DashboardAssets assets)
    {
        var asset = assets.Find(string.IsNullOrEmpty(path) ? "index.html" : path);
        if (asset is null)
        {
            return Problems.NotFound("Not found", $"The dashboard has no file '{path}'.");
        }

        AddSecurityHeaders(http);

        // Revalidated on every load (cheap: a 304 by ETag), so a deployment never leaves a browser on old scripts.
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.ETag = asset.ETag;
        if (http.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Contains(asset.ETag, StringComparison.Ordinal)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    /// <summary>
    /// No inline script or style, nothing from other origins except the Entra sign-in endpoints MSAL.js talks to
    /// (token requests, and the hidden frame it renews tokens in), and the page may not be framed.
    /// </summary>
    private static void AddSecurityHeaders(HttpContext http)
    {
        var entra = http.RequestServices.GetRequiredService<IOptions<EntraOptions>>().Value;
        var login = entra.IsConfigured && Uri.TryCreate(entra.Instance, UriKind.Absolute, out var instance) ? " " + instance.GetLeftPart(UriPartial.Authority) : "";
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy =
            $"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'{login}; frame-src{(login.Length == 0 ? " 'none'" : login)}; " +
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
    }
}
