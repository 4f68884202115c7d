using System.Net;
using System.Net.Http.Json;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Tests.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Tests.Security;

/// <summary>
/// Issue 19, item 6: the URLs the API hands out (Location, Link) never come from the request's Host header (or any
/// forwarded-host header): relative without <c>Api:PublicBaseUrl</c>, absolute under it when it is set.
/// </summary>
[Collection("api")]
public sealed class LocationSecurityTests
{
    private const string Evil = "evil.example";

    private readonly ApiFixture _fixture;

    public LocationSecurityTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task WithoutPublicBaseUrl_LocationsAndLinksAreRelative_WhateverTheHostHeader()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Admin);
        var locations = await CreateEverythingAsync(client, ApiFixture.NewSiteId());

        foreach (var (what, location) in locations)
        {
            Assert.False(location.IsAbsoluteUri, $"{what}: {location}");
            Assert.StartsWith("/api/", location.OriginalString, StringComparison.Ordinal);
            Assert.DoesNotContain(Evil, location.OriginalString, StringComparison.OrdinalIgnoreCase);
        }

        var next = await NextLinkAsync(client);
        Assert.StartsWith("</api/sites?", next, StringComparison.Ordinal);

        // A relative Location resolves against the URL the client called.
        using var follow = await client.GetAsync(locations["operation"]);
        Assert.Equal(HttpStatusCode.OK, follow.StatusCode);
    }

    [Fact]
    public async Task WithPublicBaseUrl_LocationsAndLinksAreUnderIt_WhateverTheHostHeader()
    {
        await using var app = FleetApp.Start(_fixture.Azurite.ConnectionString, new Dictionary<string, string?> { ["Api:PublicBaseUrl"] = "https://fleet.example.com/" });
        using var client = app.Client(FleetRoles.Admin);
        var locations = await CreateEverythingAsync(client, ApiFixture.NewSiteId());

        foreach (var (what, location) in locations)
        {
            Assert.True(location.IsAbsoluteUri, $"{what}: {location}");
            Assert.StartsWith("https://fleet.example.com/api/", location.OriginalString, StringComparison.Ordinal);
        }

        Assert.StartsWith("<https://fleet.example.com/api/sites?", await NextLinkAsync(client), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fleet.example.com")]
    [InlineData("/api")]
    [InlineData("ftp://fleet.example.com")]
    [InlineData("https://fleet.example.com/?tenant=1")]
    [InlineData("https://fleet.example.com/#top")]
    [InlineData("https://user:secret@fleet.example.com")]
    public void InvalidPublicBaseUrl_StopsTheApp(string value)
    {
        var error = StartFailure("Development", ("Api:PublicBaseUrl", value));

        Assert.Contains("Api:PublicBaseUrl", error, StringComparison.Ordinal);
    }

    [Fact]
    public void PlainHttpPublicBaseUrl_InProduction_StopsTheApp()
    {
        var error = StartFailure("Production", ("AzureAd:TenantId", "t"), ("AzureAd:ClientId", "c"), ("Api:PublicBaseUrl", "http://fleet.example.com"));

        Assert.Contains("Api:PublicBaseUrl 'http://fleet.example.com' is plain http in Production", error, StringComparison.Ordinal);
    }

    /// <summary>Every kind of created or accepted resource, each requested with a hostile Host and X-Forwarded-Host.</summary>
    private static async Task<Dictionary<string, Uri>> CreateEverythingAsync(HttpClient client, string site)
    {
        var locations = new Dictionary<string, Uri>(StringComparer.Ordinal);
        locations["site"] = await LocationAsync(client, HttpMethod.Post, "/api/sites", new { id = site }, HttpStatusCode.Created);
        locations["host"] = await LocationAsync(client, HttpMethod.Put, $"/api/sites/{site}/hosts/host-1", new { kind = "local", capacity = 2 }, HttpStatusCode.Created);
        locations["operation"] = await LocationAsync(client, HttpMethod.Post, "/api/operations", new { workflow = "status", siteId = site, hostId = "host-1", index = 0 }, HttpStatusCode.Accepted);
        locations["emulator"] = await LocationAsync(client, HttpMethod.Post, $"/api/sites/{site}/hosts/host-1/emulators/1/launch", null, HttpStatusCode.Accepted);
        locations["batch"] = await LocationAsync(client, HttpMethod.Post, "/api/batches", new { workflow = "status", selector = new { targets = new[] { new { siteId = site, hostId = "host-1", index = 2 } } } }, HttpStatusCode.Accepted);
        var operationId = locations["emulator"].OriginalString.Split('/')[^1];
        locations["cancel"] = await LocationAsync(client, HttpMethod.Post, $"/api/operations/{operationId}/cancel", null, HttpStatusCode.Accepted);
        var batchId = locations["batch"].OriginalString.Split('/')[^1];
        locations["batch cancel"] = await LocationAsync(client, HttpMethod.Post, $"/api/batches/{batchId}/cancel", null, HttpStatusCode.Accepted);
        return locations;
    }

    private static async Task<Uri> LocationAsync(HttpClient client, HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        using var request = Hostile(new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) });
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.Location ?? throw new Xunit.Sdk.XunitException($"{method} {path} has no Location");
    }

    /// <summary>The Link header of a listing with a next page (two sites exist: the caller made one, and pages hold one).</summary>
    private static async Task<string> NextLinkAsync(HttpClient client)
    {
        using var extra = await client.PostAsJsonAsync("/api/sites", new { id = ApiFixture.NewSiteId() });
        Assert.Equal(HttpStatusCode.Created, extra.StatusCode);
        using var request = Hostile(new HttpRequestMessage(HttpMethod.Get, "/api/sites?pageSize=1"));
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var link = string.Join(",", response.Headers.GetValues("Link"));
        Assert.DoesNotContain(Evil, link, StringComparison.OrdinalIgnoreCase);
        return link;
    }

    private static HttpRequestMessage Hostile(HttpRequestMessage request)
    {
        request.Headers.Host = Evil;
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", Evil);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("Forwarded", $"host={Evil};proto=https");
        return request;
    }

    private static string StartFailure(string environment, params (string Key, string Value)[] settings)
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment(environment);
            b.UseSetting("Storage:ConnectionString", "UseDevelopmentStorage=true");
            b.UseSetting("Auth:DevIssuer:Enabled", environment == "Development" ? "true" : "false");
            b.UseSetting("Auth:DevIssuer:SigningKey", ApiFixture.SigningKey);
            foreach (var (key, value) in settings)
            {
                b.UseSetting(key, value);
            }
        });
        return Assert.ThrowsAny<OptionsValidationException>(() => factory.CreateClient()).Message;
    }
}
