using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;
using Azure.Data.Tables;
using LdFleet.Functions.Api.Health;
using LdFleet.Functions.Api.Security;
using LdFleet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LdFleet.Functions.Tests.Api.Health;

/// <summary>/health/live and /health/ready over real HTTP: what they answer, the Durable check, and how they are logged.</summary>
[Collection("api")]
public sealed class HealthEndpointsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly ApiFixture _fixture;

    public HealthEndpointsTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Live_CarriesVersionStartedAtAndUptime_WhichGrowsWithTheAppsClock()
    {
        var started = new DateTimeOffset(2026, 3, 1, 8, 30, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(started);
        await using var app = FleetApp.Start(
            _fixture.Azurite.ConnectionString,
            new Dictionary<string, string?> { ["RelayResults:Enabled"] = "false", ["Cleanup:Enabled"] = "false" },
            services => services.AddSingleton<TimeProvider>(time));
        using var client = app.Anonymous();

        var first = await GetAsync(client, "/health/live", HttpStatusCode.OK);
        time.Advance(new TimeSpan(1, 2, 3, 4));
        var later = await GetAsync(client, "/health/live", HttpStatusCode.OK);

        Assert.Equal("Healthy", first.GetProperty("status").GetString());
        Assert.Equal(typeof(ProcessUptime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion, first.GetProperty("version").GetString());
        Assert.Equal("2026-03-01T08:30:00+00:00", first.GetProperty("startedAt").GetString());
        Assert.Equal("00:00:00", first.GetProperty("uptime").GetString());
        Assert.Empty(first.GetProperty("checks").EnumerateObject());

        // The same instance, one day and a bit later: the start stays, the uptime is the clock's advance.
        Assert.Equal(first.GetProperty("startedAt").GetString(), later.GetProperty("startedAt").GetString());
        Assert.Equal("1.02:03:04", later.GetProperty("uptime").GetString());
    }

    [Fact]
    public async Task Ready_ChecksTheDurableTaskHub_AndCarriesTheSameInstanceFields()
    {
        using var client = _fixture.SelfHosted.Anonymous();

        var ready = await GetAsync(client, "/health/ready", HttpStatusCode.OK);
        var live = await GetAsync(client, "/health/live", HttpStatusCode.OK);

        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        var durable = ready.GetProperty("checks").GetProperty("durable");
        Assert.Equal("Healthy", durable.GetProperty("status").GetString());
        Assert.Equal("The Durable Task hub answered.", durable.GetProperty("description").GetString());
        Assert.True(durable.GetProperty("durationMs").GetDouble() >= 0);

        var startedAt = DateTimeOffset.Parse(ready.GetProperty("startedAt").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.Zero, startedAt.Offset);
        Assert.InRange(startedAt, DateTimeOffset.UtcNow.AddMinutes(-30), DateTimeOffset.UtcNow);
        Assert.True(TimeSpan.ParseExact(ready.GetProperty("uptime").GetString()!, "c", CultureInfo.InvariantCulture) >= TimeSpan.Zero);
        Assert.Equal(ready.GetProperty("startedAt").GetString(), live.GetProperty("startedAt").GetString());
        Assert.Equal(ready.GetProperty("version").GetString(), live.GetProperty("version").GetString());
        Assert.False(string.IsNullOrWhiteSpace(ready.GetProperty("version").GetString()));
    }

    [Fact]
    public async Task Ready_Is503NamingDurable_WhenTheTaskHubCannotBeRead()
    {
        // A hub of its own on the shared Azurite, so removing its instances table touches no other test.
        var hub = "health" + Guid.NewGuid().ToString("N")[..8];
        await using var app = FleetApp.Start(
            _fixture.Azurite.ConnectionString,
            new Dictionary<string, string?> { ["Durable:TaskHub"] = hub, ["RelayResults:Enabled"] = "false", ["Cleanup:Enabled"] = "false" });
        using var client = app.Anonymous();
        Assert.Equal("Healthy", (await GetAsync(client, "/health/ready", HttpStatusCode.OK)).GetProperty("checks").GetProperty("durable").GetProperty("status").GetString());

        await new TableServiceClient(_fixture.Azurite.ConnectionString).DeleteTableAsync(hub + "Instances");

        using var response = await Poll.UntilAsync(
            () => client.GetAsync(new Uri("/health/ready", UriKind.Relative)),
            r => r.StatusCode == HttpStatusCode.ServiceUnavailable,
            Deadline,
            "/health/ready to answer 503");
        var text = await response.Content.ReadAsStringAsync();
        var ready = JsonDocument.Parse(text).RootElement;
        Assert.Equal("Unhealthy", ready.GetProperty("status").GetString());
        var checks = ready.GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("durable").GetProperty("status").GetString());
        Assert.Equal("The Durable Task hub did not answer within 5 s or failed.", checks.GetProperty("durable").GetProperty("description").GetString());
        Assert.All(["tables", "transport", "blobs"], name => Assert.Equal("Healthy", checks.GetProperty(name).GetProperty("status").GetString()));

        // The reason is in the server log only: no exception type, storage error code or table name in the answer.
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TableNotFound", text, StringComparison.Ordinal);
        Assert.DoesNotContain(hub, text, StringComparison.OrdinalIgnoreCase);

        // Live stays free of dependencies.
        await GetAsync(client, "/health/live", HttpStatusCode.OK);
    }

    [Fact]
    public async Task HealthRequests_LogAtDebug_WhileOtherRequestsKeepInformation()
    {
        var logs = new CollectingLoggerProvider();
        await using var app = FleetApp.Start(
            _fixture.Azurite.ConnectionString,
            new Dictionary<string, string?>
            {
                // ASP.NET Core's request lines on at Debug, so both the lowered and the untouched ones are written.
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
                ["RelayResults:Enabled"] = "false",
                ["Cleanup:Enabled"] = "false",
            },
            services => services.AddSingleton<ILoggerProvider>(logs));
        using var anonymous = app.Anonymous();
        using var reader = app.Client(FleetRoles.Read);

        await GetAsync(anonymous, "/health/live", HttpStatusCode.OK);
        await GetAsync(anonymous, "/health/ready", HttpStatusCode.OK);
        using (var sites = await reader.GetAsync(new Uri("/api/sites", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, sites.StatusCode);
        }

        // "Request finished" is written after the answer has gone out: wait for it.
        await Poll.UntilAsync(
            () => Task.FromResult(logs.Entries.Count(e => e.IsRequestFinished)),
            n => n >= 3,
            Deadline,
            "the three requests' 'Request finished' lines");

        var entries = logs.Entries.ToList();
        foreach (var path in new[] { "/health/live", "/health/ready" })
        {
            var lines = entries.Where(e => e.Message.Contains(path, StringComparison.Ordinal)).ToList();
            Assert.Contains(lines, e => e.IsRequestStarting && e.Level == LogLevel.Debug);
            Assert.Contains(lines, e => e.IsRequestFinished && e.Level == LogLevel.Debug);
            Assert.DoesNotContain(lines, e => e.Level >= LogLevel.Information);
        }

        Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Information && e.Message.Contains("'Health checks'", StringComparison.Ordinal));
        var api = entries.Where(e => e.Message.Contains("/api/sites", StringComparison.Ordinal)).ToList();
        Assert.Contains(api, e => e.IsRequestStarting && e.Level == LogLevel.Information);
        Assert.Contains(api, e => e.IsRequestFinished && e.Level == LogLevel.Information);
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path, HttpStatusCode expected)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"GET {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message)
    {
        private const string HostingCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

        public bool IsRequestStarting => Category == HostingCategory && EventId.Id == 1;

        public bool IsRequestFinished => Category == HostingCategory && EventId.Id == 2;
    }

    /// <summary>Every line the app writes, after the Logging:LogLevel filters, with the level it was written at.</summary>
    private sealed class CollectingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<LogEntry> _entries = new();

        public IEnumerable<LogEntry> Entries => _entries;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception)));
        }
    }
}
