using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LdFleet.Functions.Api.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LdFleet.Functions.Tests.Api;

/// <summary>
/// Issue 19, items 5 and 7: every error is problem+json whatever the Accept header says, a body that is not JSON is a
/// client error (a 400, logged as such, never as an unhandled exception), and the health endpoints answer GET only
/// (another method is a 405 for every caller).
/// </summary>
[Collection("api")]
public sealed class ProblemContractTests
{
    private readonly ApiFixture _fixture;

    public ProblemContractTests(ApiFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData("application/xml")]
    [InlineData("text/html")]
    [InlineData("image/png")]
    [InlineData("text/plain, application/xml;q=0.9")]
    public async Task Errors_AreProblemJson_WhateverTheAcceptHeader(string accept)
    {
        var app = _fixture.SelfHosted;
        using var anonymous = WithAccept(app.Anonymous(), accept);
        using var reader = WithAccept(app.Client(FleetRoles.Read), accept);
        using var admin = WithAccept(app.Client(FleetRoles.Admin), accept);
        var site = ApiFixture.NewSiteId();

        using var unauthorized = await anonymous.GetAsync(new Uri("/api/sites", UriKind.Relative));
        using var forbidden = await reader.PostAsync(new Uri("/api/sites", UriKind.Relative), Json($"{{\"id\":\"{site}\"}}"));
        using var notFound = await admin.GetAsync(new Uri("/api/no/such/thing", UriKind.Relative));
        using var method = await admin.PatchAsync(new Uri("/api/sites", UriKind.Relative), null);
        using var media = await admin.PostAsync(new Uri("/api/sites", UriKind.Relative), new StringContent("id=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
        using var charset = await JsonCharsetTests.PostAsync(admin, "/api/operations", "{}", "application/json; charset=utf-16");
        using var badJson = await admin.PostAsync(new Uri("/api/operations", UriKind.Relative), Json("{\"workflow\":"));
        using var validation = await admin.PostAsync(new Uri($"/api/sites/{site}/hosts/host-1/emulators/minus/launch", UriKind.Relative), null);

        await unauthorized.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await forbidden.AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await notFound.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
        await method.AssertProblemAsync(HttpStatusCode.MethodNotAllowed, "method-not-allowed");
        await media.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await charset.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await badJson.AssertProblemAsync(HttpStatusCode.BadRequest, "bad-request");
        await validation.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True((await unauthorized.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized")).TryGetProperty("traceId", out _));
    }

    [Fact]
    public async Task RateLimited_IsProblemJson_WhateverTheAcceptHeader()
    {
        await using var app = FleetApp.Start(_fixture.Azurite.ConnectionString, new Dictionary<string, string?> { ["Api:RateLimit:Burst"] = "1", ["Api:RateLimit:PerSecond"] = "1" });
        using var client = WithAccept(app.Client(FleetRoles.Read), "text/html");

        HttpResponseMessage? limited = null;
        for (var i = 0; i < 5 && limited is null; i++)
        {
            var response = await client.GetAsync(new Uri("/api/sites", UriKind.Relative));
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
        limited.Dispose();
    }

    [Fact]
    public async Task BadJsonBodies_Are400_LoggedAsClientErrors_NotUnhandledExceptions()
    {
        var logs = new CapturedLogs();
        await using var app = FleetApp.Start(
            _fixture.Azurite.ConnectionString,
            new Dictionary<string, string?> { ["Logging:LogLevel:LdFleet.Functions.Api.FleetExceptionHandler"] = "Debug" },
            services => services.AddSingleton<ILoggerProvider>(logs));
        using var client = app.Client(FleetRoles.Admin);
        var site = ApiFixture.NewSiteId();
        var bodies = new (string Path, string Json)[]
        {
            ("/api/operations", "{\"workflow\":"),
            ("/api/operations", "not json at all"),
            ("/api/operations", "{\"workflow\":\"status\",\"siteId\":\"x\",\"hostId\":\"h\",\"index\":\"zero\"}"),
            ("/api/batches", "[1,2,"),
            ($"/api/sites/{site}/hosts/host-1/emulators/0/runapp", "{\"parameters\":{\"packageName\":7}}"),
        };

        foreach (var (path, json) in bodies)
        {
            using var response = await client.PostAsync(new Uri(path, UriKind.Relative), Json(json));
            await response.AssertProblemAsync(HttpStatusCode.BadRequest, "bad-request");
        }

        var serious = logs.Entries.Where(e => e.Level >= LogLevel.Warning && (e.Exception is BadHttpRequestException or JsonException || e.Category.Contains("ExceptionHandler", StringComparison.Ordinal))).ToList();
        Assert.True(serious.Count == 0, string.Join('\n', serious.Select(e => $"{e.Level} {e.Category}: {e.Message}")));
        var clientErrors = logs.Entries.Where(e => e.Category == "LdFleet.Functions.Api.FleetExceptionHandler" && e.EventId == 5002).ToList();
        Assert.Equal(bodies.Length, clientErrors.Count);
        Assert.All(clientErrors, e => Assert.Equal(LogLevel.Debug, e.Level));
    }

    /// <summary>
    /// Item 7: a POST to a health endpoint was a 200. The endpoints answer GET only; another method is a 405 with
    /// <c>Allow: GET</c> for every caller. Anonymous callers got the fallback policy's 401 instead (routing's 405 endpoint
    /// has no metadata, so the policy applied to it): probes are anonymous, and the 401 told them to sign in to a path
    /// that needs no token. Over real HTTP, as a load balancer misconfigured with POST would see it.
    /// </summary>
    [Theory]
    [InlineData("/health/ready", "POST")]
    [InlineData("/health/ready", "DELETE")]
    [InlineData("/health/live", "POST")]
    [InlineData("/health/live", "PUT")]
    public async Task Health_AnswersGetOnly_With405ForEveryCaller(string path, string method)
    {
        using var anonymous = _fixture.SelfHosted.Anonymous();
        using var reader = _fixture.SelfHosted.Client(FleetRoles.Read);

        using var signedIn = await reader.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") });
        using var anonymousWrong = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") });
        using var get = await anonymous.GetAsync(new Uri(path, UriKind.Relative));

        foreach (var response in new[] { signedIn, anonymousWrong })
        {
            await response.AssertProblemAsync(HttpStatusCode.MethodNotAllowed, "method-not-allowed");
            Assert.Equal("GET", string.Join(",", response.Content.Headers.Allow));
        }

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    /// <summary>The 405 is anonymous only where the path is: a wrong method on an API path is still a 401 without a token.</summary>
    [Fact]
    public async Task WrongMethod_OnAProtectedPath_Is401WithoutAToken()
    {
        using var anonymous = _fixture.SelfHosted.Anonymous();
        using var reader = _fixture.SelfHosted.Client(FleetRoles.Read);

        using var anonymousPatch = await anonymous.PatchAsync(new Uri("/api/sites", UriKind.Relative), Json("{}"));
        using var readerPatch = await reader.PatchAsync(new Uri("/api/sites", UriKind.Relative), Json("{}"));

        await anonymousPatch.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await readerPatch.AssertProblemAsync(HttpStatusCode.MethodNotAllowed, "method-not-allowed");
    }

    /// <summary>
    /// Found by the hostile walk: an endpoint whose handler takes a JSON body (StartBatch) has routing refuse other content
    /// types with a 415 endpoint of its own, which only the fallback policy covered, so a caller without the role got the
    /// 415 instead of its 403. The role is checked first, as on every other answer; a caller with it gets the 415.
    /// </summary>
    [Theory]
    [InlineData("text/plain")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task WrongContentType_IsForbiddenFirst_ForACallerWithoutTheRole(string contentType)
    {
        using var reader = _fixture.SelfHosted.Client(FleetRoles.Read);
        using var operator_ = _fixture.SelfHosted.Client(FleetRoles.Operate);
        using var anonymous = _fixture.SelfHosted.Anonymous();

        using var forbidden = await reader.PostAsync(new Uri("/api/batches", UriKind.Relative), Body("{}", contentType));
        using var unsupported = await operator_.PostAsync(new Uri("/api/batches", UriKind.Relative), Body("{}", contentType));
        using var unauthorized = await anonymous.PostAsync(new Uri("/api/batches", UriKind.Relative), Body("{}", contentType));

        await forbidden.AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await unsupported.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await unauthorized.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    private static StringContent Body(string text, string contentType)
    {
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.Remove("Content-Type");
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static HttpClient WithAccept(HttpClient client, string accept)
    {
        client.DefaultRequestHeaders.Accept.Clear();
        Assert.True(client.DefaultRequestHeaders.TryAddWithoutValidation("Accept", accept));
        return client;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    /// <summary>Every log entry the app writes, as the app's logging filters let it through.</summary>
    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<Entry> _entries = new();

        public IReadOnlyCollection<Entry> Entries => _entries;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        public void Dispose()
        {
        }

        internal sealed record Entry(string Category, LogLevel Level, int EventId, string Message, Exception? Exception);

        private sealed class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new Entry(category, logLevel, eventId.Id, formatter(state, exception), exception));
        }
    }
}
