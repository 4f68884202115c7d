using System.Net;
using System.Text;
using Azure.Data.Tables;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Idempotency;
using LdFleet.Functions.Storage;

namespace LdFleet.Functions.Tests.Api;

/// <summary>Idempotency-Key on the operation-starting POSTs, over real HTTP.</summary>
[Collection("api")]
public sealed class IdempotencyTests
{
    private readonly ApiFixture _fixture;

    public IdempotencyTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Retry_WithSameKey_ReturnsTheSameOperation()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);
        var path = $"/api/sites/{ApiFixture.NewSiteId()}/hosts/host-1/emulators/0/launch";
        var key = Guid.NewGuid().ToString();

        using var first = await Post(client, path, key);
        using var second = await Post(client, path, key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal((await first.ReadAsync()).GetProperty("id").GetString(), (await second.ReadAsync()).GetProperty("id").GetString());
        Assert.False(first.Headers.Contains(IdempotencyFilter.ReplayedHeader));
        Assert.Equal("true", second.Headers.GetValues(IdempotencyFilter.ReplayedHeader).Single());
    }

    [Fact]
    public async Task SameKey_DifferentRequest_Is422()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);
        var site = ApiFixture.NewSiteId();
        var key = Guid.NewGuid().ToString();
        using var first = await Post(client, $"/api/sites/{site}/hosts/host-1/emulators/0/launch", key);

        using var other = await Post(client, $"/api/sites/{site}/hosts/host-1/emulators/1/launch", key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await other.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
    }

    /// <summary>
    /// Issue 19, item 2: the body is part of "the same request". It was fingerprinted after model binding had read it,
    /// so every body hashed alike and a different body under a used key replayed the first answer.
    /// </summary>
    [Theory]
    [InlineData("operations")]
    [InlineData("emulator")]
    [InlineData("batches")]
    public async Task SameKey_SameBody_Replays_DifferentBody_Is422(string route)
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);
        var site = ApiFixture.NewSiteId();
        var key = Guid.NewGuid().ToString();
        var (path, first, different) = route switch
        {
            "operations" => ("/api/operations", Operation(site, 0), Operation(site, 1)),
            "emulator" => ($"/api/sites/{site}/hosts/host-1/emulators/0/runapp", RunApp("com.example.first"), RunApp("com.example.second")),
            _ => ("/api/batches", Batch(site, 0), Batch(site, 1)),
        };

        using var original = await Post(client, path, key, first);
        using var retry = await Post(client, path, key, first);
        using var other = await Post(client, path, key, different);

        Assert.True(original.StatusCode == HttpStatusCode.Accepted, await original.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues(IdempotencyFilter.ReplayedHeader).Single());
        Assert.Equal(original.Headers.Location, retry.Headers.Location);
        Assert.Equal((await original.ReadAsync()).GetProperty("id").GetString(), (await retry.ReadAsync()).GetProperty("id").GetString());
        await other.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.False(other.Headers.Contains(IdempotencyFilter.ReplayedHeader));
    }

    [Fact]
    public async Task SameKey_SameJsonUnderAnotherUtf8Spelling_IsTheSameRequest()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);
        var body = Operation(ApiFixture.NewSiteId(), 0);
        var key = Guid.NewGuid().ToString();

        using var first = await Post(client, "/api/operations", key, body);
        using var again = await Post(client, "/api/operations", key, body, "application/json; charset=\"UTF-8\"");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues(IdempotencyFilter.ReplayedHeader).Single());
    }

    [Fact]
    public async Task ConcurrentDuplicates_StartExactlyOneOperation()
    {
        var site = ApiFixture.NewSiteId();
        var path = $"/api/sites/{site}/hosts/host-1/emulators/0/quit";
        var key = Guid.NewGuid().ToString();
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Post(client, path, key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Single(responses.Select(r => r.Headers.Location).Distinct());
        var operations = new TableServiceClient(_fixture.Azurite.ConnectionString).GetTableClient(FleetTables.Operations);
        var count = 0;
        await foreach (var _ in operations.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"SiteId eq {site}"), select: ["PartitionKey"]))
        {
            count++;
        }

        Assert.Equal(1, count);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task KeysBelongToTheirCaller()
    {
        var path = $"/api/sites/{ApiFixture.NewSiteId()}/hosts/host-1/emulators/0/launch";
        var key = Guid.NewGuid().ToString();
        using var alice = _fixture.SelfHosted.Client(FleetRoles.Operate, "alice");
        using var bob = _fixture.SelfHosted.Client(FleetRoles.Operate, "bob");

        using var a = await Post(alice, path, key);
        using var b = await Post(bob, path, key);

        Assert.NotEqual(a.Headers.Location, b.Headers.Location);
    }

    [Fact]
    public async Task WithoutKey_EachPostStartsAnOperation_AndBadKeysAreValidationErrors()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);
        var path = $"/api/sites/{ApiFixture.NewSiteId()}/hosts/host-1/emulators/0/launch";

        using var one = await client.PostAsync(new Uri(path, UriKind.Relative), null);
        using var two = await client.PostAsync(new Uri(path, UriKind.Relative), null);
        using var bad = await Post(client, path, new string('k', 300));

        Assert.NotEqual(one.Headers.Location, two.Headers.Location);
        var problem = await bad.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(IdempotencyFilter.HeaderName, out _));
    }

    [Fact]
    public async Task ValidationFailures_AreReplayedToo_AndExpiredKeysArePurged()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);
        var key = Guid.NewGuid().ToString();
        var path = $"/api/sites/{ApiFixture.NewSiteId()}/hosts/host-1/emulators/minus/launch";

        using var first = await Post(client, path, key);
        using var again = await Post(client, path, key);

        await first.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await again.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True(again.Headers.Contains(IdempotencyFilter.ReplayedHeader));
        var store = _fixture.SelfHosted.Get<IdempotencyStore>();
        Assert.True(await store.PurgeExpiredAsync(DateTimeOffset.UtcNow.AddDays(2), default) >= 1);
    }

    private static Task<HttpResponseMessage> Post(HttpClient client, string path, string key, string? json = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.TryAddWithoutValidation(IdempotencyFilter.HeaderName, key);
        if (json is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return client.SendAsync(request);
    }

    private static string Operation(string site, int index) =>
        $"{{\"workflow\":\"status\",\"siteId\":\"{site}\",\"hostId\":\"host-1\",\"index\":{index}}}";

    private static string RunApp(string package) => $"{{\"parameters\":{{\"packageName\":\"{package}\"}}}}";

    private static string Batch(string site, int index) =>
        $"{{\"workflow\":\"status\",\"selector\":{{\"targets\":[{{\"siteId\":\"{site}\",\"hostId\":\"host-1\",\"index\":{index}}}]}}}}";
}
