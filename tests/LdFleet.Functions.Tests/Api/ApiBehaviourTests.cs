using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LdFleet.Functions.Api.Security;

namespace LdFleet.Functions.Tests.Api;

/// <summary>Cross-cutting API behaviour: problem types, limits, rate limiting, CORS, health, OpenAPI.</summary>
[Collection("api")]
public sealed class ApiBehaviourTests
{
    private readonly ApiFixture _fixture;

    public ApiBehaviourTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task FrameworkErrors_AreProblemsWithStableTypes()
    {
        using var admin = _fixture.SelfHosted.Client(FleetRoles.Admin);

        using var notFound = await admin.GetAsync(new Uri("/api/no/such/thing", UriKind.Relative));
        using var method = await admin.PatchAsync(new Uri("/api/sites", UriKind.Relative), null);
        using var media = await admin.PostAsync(new Uri("/api/sites", UriKind.Relative), new StringContent("id=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
        using var hugeRequest = new HttpRequestMessage(HttpMethod.Post, "/api/sites") { Content = new StringContent("{\"id\":\"" + new string('a', 2 * 1024 * 1024) + "\"}", Encoding.UTF8, "application/json") };
        hugeRequest.Headers.ExpectContinue = true;
        using var huge = await admin.SendAsync(hugeRequest);
        using var missing = await admin.PostAsJsonAsync("/api/sites", new { displayName = "x" });
        using var wrongType = await admin.PutAsync(new Uri($"/api/sites/{ApiFixture.NewSiteId()}/hosts/h", UriKind.Relative), new StringContent("{\"kind\":\"ssh\",\"capacity\":\"lots\",\"address\":\"a\"}", Encoding.UTF8, "application/json"));

        await notFound.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
        await method.AssertProblemAsync(HttpStatusCode.MethodNotAllowed, "method-not-allowed");
        await media.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await huge.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.True((await missing.AssertProblemAsync(HttpStatusCode.BadRequest, "validation")).GetProperty("errors").TryGetProperty("id", out _));
        Assert.True((await wrongType.AssertProblemAsync(HttpStatusCode.BadRequest, "validation")).GetProperty("errors").TryGetProperty("capacity", out _));
    }

    [Fact]
    public async Task RateLimit_Is429WithRetryAfter_PerCaller()
    {
        await using var app = FleetApp.Start(_fixture.Azurite.ConnectionString, new Dictionary<string, string?> { ["Api:RateLimit:Burst"] = "5", ["Api:RateLimit:PerSecond"] = "1" });
        using var alice = app.Client(FleetRoles.Read, "alice");
        using var bob = app.Client(FleetRoles.Read, "bob");

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 12 && limited is null; i++)
        {
            var response = await alice.GetAsync(new Uri("/api/sites", UriKind.Relative));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        limited.Dispose();
        using var other = await bob.GetAsync(new Uri("/api/sites", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        using var health = await app.Anonymous().GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Cors_IsOffByDefault_AndFollowsTheAllowList()
    {
        using var off = await Preflight(_fixture.SelfHosted, "https://dashboard.example");
        Assert.False(off.Headers.Contains("Access-Control-Allow-Origin"));

        await using var app = FleetApp.Start(_fixture.Azurite.ConnectionString, new Dictionary<string, string?> { ["Api:Cors:AllowedOrigins:0"] = "https://dashboard.example" });
        using var allowed = await Preflight(app, "https://dashboard.example");
        using var denied = await Preflight(app, "https://evil.example");
        Assert.Equal("https://dashboard.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(denied.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Health_LiveAndReady_CheckDependencies()
    {
        using var client = _fixture.SelfHosted.Anonymous();

        var ready = await client.GetFromJsonAsync<JsonElement>(new Uri("/health/ready", UriKind.Relative));
        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Equal(["blobs", "durable", "tables", "transport"], ready.GetProperty("checks").EnumerateObject().Select(c => c.Name).Order());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task OpenApi_DescribesEveryApiEndpoint_WithItsRoleAndTheIdempotencyHeader()
    {
        using var client = _fixture.SelfHosted.Anonymous();

        var document = await client.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));
        using var docs = await client.GetAsync(new Uri("/docs", UriKind.Relative));

        var operations = document.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Method: o.Name, Operation: o.Value))).ToList();
        Assert.True(operations.Count >= 20);
        Assert.All(operations.Where(o => o.Path.StartsWith("/api/", StringComparison.Ordinal)), o =>
        {
            Assert.True(o.Operation.TryGetProperty("security", out _), $"{o.Method} {o.Path} has no security requirement");
            Assert.Contains("Requires the app role Fleet.", o.Operation.GetProperty("description").GetString(), StringComparison.Ordinal);
        });
        var launch = operations.Single(o => o.Path.EndsWith("/emulators/{index}/{workflow}", StringComparison.Ordinal)).Operation;
        Assert.Contains(launch.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key");
        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("bearer", out _));
        Assert.True(docs.IsSuccessStatusCode || docs.StatusCode == HttpStatusCode.Redirect);
    }

    private static async Task<HttpResponseMessage> Preflight(FleetApp app, string origin)
    {
        using var client = app.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/sites");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "authorization");
        return await client.SendAsync(request);
    }
}
