using System.Net;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Dashboard;
using LdFleet.Functions.Tests.Api;

namespace LdFleet.Functions.Tests.Dashboard;

/// <summary>How the cloud app serves the dashboard; what the page does is tested in a browser (LdFleet.Dashboard.Tests).</summary>
[Collection("api")]
public sealed class DashboardEndpointsTests
{
    private readonly ApiFixture _fixture;

    public DashboardEndpointsTests(ApiFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData("/dashboard/", "text/html")]
    [InlineData("/dashboard/app.js", "text/javascript")]
    [InlineData("/dashboard/style.css", "text/css")]
    [InlineData("/dashboard/vendor/msal-browser.min.js", "text/javascript")]
    public async Task Asset_IsServedAnonymously_WithStrictPolicy(string path, string mediaType)
    {
        using var http = _fixture.SelfHosted.Anonymous();

        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100);
    }

    [Fact]
    public async Task Asset_SameETag_IsNotModified()
    {
        using var http = _fixture.SelfHosted.Anonymous();
        using var first = await http.GetAsync(new Uri("/dashboard/app.js", UriKind.Relative));
        using var again = new HttpRequestMessage(HttpMethod.Get, "/dashboard/app.js");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);

        using var response = await http.SendAsync(again);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task Root_RedirectsToTheFolder_AndUnknownFileIsProblem()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _fixture.SelfHosted.BaseAddress };

        using var root = await http.GetAsync(new Uri("/dashboard", UriKind.Relative));
        using var missing = await http.GetAsync(new Uri("/dashboard/nope.js", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/dashboard/", root.Headers.Location?.OriginalString);
        await missing.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public void Config_EntraConfigured_NamesAuthorityClientAndApiScope()
    {
        var config = DashboardEndpoints.Config(
            new DashboardOptions(),
            new EntraOptions { TenantId = "contoso.onmicrosoft.com", ClientId = "api-client" },
            new DevIssuerOptions());

        Assert.False(config.DevIssuer);
        Assert.Equal("https://login.microsoftonline.com/contoso.onmicrosoft.com", config.Entra!.Authority);
        Assert.Equal("api-client", config.Entra.ClientId);
        Assert.Equal(["api://api-client/.default"], config.Entra.Scopes);
    }

    [Fact]
    public void Config_SeparateSpaRegistration_UsesItsClientIdAndScopes()
    {
        var config = DashboardEndpoints.Config(
            new DashboardOptions { ClientId = "spa-client", Scopes = ["api://fleet/Fleet.Use"] },
            new EntraOptions { ClientId = "api-client" },
            new DevIssuerOptions { Enabled = true });

        Assert.True(config.DevIssuer);
        Assert.Equal("https://login.microsoftonline.com/organizations", config.Entra!.Authority);
        Assert.Equal("spa-client", config.Entra.ClientId);
        Assert.Equal(["api://fleet/Fleet.Use"], config.Entra.Scopes);
    }

    [Fact]
    public void Config_NoEntra_OffersOnlyTheDevelopmentIssuer()
    {
        var config = DashboardEndpoints.Config(new DashboardOptions(), new EntraOptions(), new DevIssuerOptions { Enabled = true });

        Assert.True(config.DevIssuer);
        Assert.Null(config.Entra);
    }
}
