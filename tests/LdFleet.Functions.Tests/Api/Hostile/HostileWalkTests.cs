using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CsCheck;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Tests.Inventory;
using LdFleet.Functions.Tests.Security;
using LdFleet.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LdFleet.Functions.Tests.Api.Hostile;

/// <summary>
/// Issue 19: a property test over every operation of the app's own OpenAPI document (so a new endpoint is walked as
/// soon as it is documented). Each round sends one generated hostile request per operation (<see cref="HostileRequests"/>),
/// as every kind of caller: no token, forged ones (wrong key, alg none, tampered payload, expired, wrong audience, not a
/// JWT), and valid ones with no role, Read, Operate and Admin. Over real HTTP on the app's own Azurite (nothing else moves
/// its state), the properties are:
/// <list type="bullet">
/// <item>never a 5xx; every 4xx is application/problem+json whose <c>status</c> is the HTTP status;</item>
/// <item>a caller without a valid token gets exactly 401 from every protected operation (its 401 comes before anything
/// else is checked); a valid token without the operation's role (or a higher one) gets exactly 403 (never a 2xx);</item>
/// <item>a request to a mutating operation, each of which the generator gives something the app must refuse, never gets a
/// 2xx whoever calls, and afterwards the fleet's state (tables but audit and idempotency, queues, blobs) is as before.</item>
/// </list>
/// <c>LDFLEET_HOSTILE_REQUESTS</c> sets the number of requests (default 2,000; <c>./dev.sh bench --reliability</c> runs
/// 5,000); a failure prints CsCheck's seed (<c>CsCheck_Seed</c> replays it). The counts by caller and status class are
/// printed and written to artifacts/reliability/hostile-input.md (git-ignored).
/// </summary>
public sealed class HostileWalkTests : IAsyncLifetime
{
    private const int DefaultRequests = 2000;

    /// <summary>However few requests are asked for, every operation is walked at least this often.</summary>
    private const int MinimumRounds = 10;

    /// <summary>Kestrel's default <c>MaxRequestLineSize</c>, which the app keeps.</summary>
    private const int KestrelMaxRequestLine = 8192;

    private static readonly FleetSeed Seed = new("walk-site", "host-1", 3);

    private readonly ITestOutputHelper _output;
    private AzuriteServer _azurite = null!;
    private FleetApp _app = null!;

    public HostileWalkTests(ITestOutputHelper output) => _output = output;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteServer.StartAsync();
        _app = FleetApp.Start(_azurite.ConnectionString);

        // Something to attack: a site with a host and labelled emulators, which the plausible path values name.
        using var admin = _app.Client(FleetRoles.Admin);
        (await admin.PostAsJsonAsync("/api/sites", new { id = Seed.Site })).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/api/sites/{Seed.Site}/hosts/{Seed.Host}", new { kind = "local", capacity = 4 })).EnsureSuccessStatusCode();
        await _app.Get<InventoryStore>().ApplyInventoryAsync(InventoryApiTests.Report(Seed.Site, Seed.Host, DateTimeOffset.UtcNow, Enumerable.Range(0, Seed.Emulators)), default);
        (await admin.PutAsJsonAsync($"/api/sites/{Seed.Site}/hosts/{Seed.Host}/emulators/0/labels", new Dictionary<string, string> { ["env"] = "prod" })).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    [Fact]
    public async Task EveryDocumentedOperation_RefusesHostileRequests_AsProblems_ByRole_WithoutChangingState()
    {
        var operations = await OperationsAsync();
        var requested = Environment.GetEnvironmentVariable("LDFLEET_HOSTILE_REQUESTS") is { Length: > 0 } n ? int.Parse(n, CultureInfo.InvariantCulture) : DefaultRequests;
        var rounds = Math.Max(MinimumRounds, (requested + operations.Count - 1) / operations.Count);
        var generator = new HostileRequests(new ApiDescription(await DocumentAsync()), Seed);
        var round = operations.Aggregate(Gen.Const(Array.Empty<HostileRequest>()), (acc, operation) => Gen.Select(acc, generator.For(operation), (list, r) => (HostileRequest[])[.. list, r]));
        var tokens = Tokens();
        var counts = new ConcurrentDictionary<(AuthKind Auth, string Class), int>();
        var statuses = new ConcurrentDictionary<int, int>();
        var perOperation = new ConcurrentDictionary<string, int>();
        using var http = _app.Anonymous();
        var before = await FleetState.SnapshotAsync(_azurite.ConnectionString);
        var clock = Stopwatch.StartNew();

        await round.SampleAsync(
            async requests =>
            {
                var violations = new List<string>();
                foreach (var request in requests)
                {
                    using var message = request.Build(tokens);
                    using var response = await http.SendAsync(message);
                    var status = (int)response.StatusCode;
                    var body = await response.Content.ReadAsStringAsync();
                    counts.AddOrUpdate((request.Auth, $"{status / 100}xx"), 1, (_, c) => c + 1);
                    statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                    perOperation.AddOrUpdate(request.Operation.ToString(), 1, (_, c) => c + 1);
                    if (Violation(request, status, response.Content.Headers.ContentType?.MediaType, body) is { } violation)
                    {
                        violations.Add($"{violation}\n    {request}\n    -> {status} {response.Content.Headers.ContentType} {Cut(body)}");
                    }
                }

                Assert.True(violations.Count == 0, $"{violations.Count} of {requests.Length} requests broke a property:\n" + string.Join('\n', violations));
            },
            iter: rounds,
            threads: 8,
            print: requests => $"{requests.Length} requests");

        clock.Stop();
        var after = await FleetState.SnapshotAsync(_azurite.ConnectionString);
        var total = counts.Values.Sum();
        Report(operations.Count, rounds, total, clock.Elapsed, counts, statuses);

        Assert.All(operations, o => Assert.True(perOperation.GetValueOrDefault(o.ToString()) >= rounds, $"{o} was walked {perOperation.GetValueOrDefault(o.ToString())} times, fewer than {rounds}"));
        Assert.True(after == before, "The hostile requests changed the fleet's state:\n" + Difference(before, after));
    }

    [Fact]
    public async Task NulInThePath_IsRefusedByKestrelBeforeTheApp()
    {
        // The one hostile input that never reaches the application, so the walk does not generate it: Kestrel refuses a
        // request target that decodes to a NUL with a bare 400 of its own (no problem+json possible), still no 5xx.
        using var client = _app.Client(FleetRoles.Admin);

        using var response = await client.GetAsync(new Uri("/api/sites/%00", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    /// <summary>The first property a response breaks, or null.</summary>
    private static string? Violation(HostileRequest request, int status, string? mediaType, string body)
    {
        // Kestrel refuses a request line over its limit (8 KiB) with a bare 414 of its own, before the app runs: long
        // hostile values, escaped, get there (5,000 CJK characters are 45 KB of %XX). Exactly that, and only then.
        if (Encoding.UTF8.GetByteCount($"{request.Operation.Method} {request.Target} HTTP/1.1") > KestrelMaxRequestLine)
        {
            return status == 414 ? null : $"a request line over Kestrel's limit answered {status}, not 414";
        }

        if (status >= 500)
        {
            return "a 5xx";
        }

        if (status >= 400)
        {
            if (mediaType != "application/problem+json")
            {
                return $"a {status} that is not application/problem+json";
            }

            try
            {
                using var problem = JsonDocument.Parse(body);
                if (!problem.RootElement.TryGetProperty("status", out var field) || field.ValueKind != JsonValueKind.Number || field.GetInt32() != status)
                {
                    return $"a {status} problem whose status field is not {status}";
                }
            }
            catch (JsonException)
            {
                return $"a {status} problem whose body is not JSON";
            }
        }

        var operation = request.Operation;
        var success = status is >= 200 and < 300;
        if (!operation.Anonymous && !request.Auth.IsValid() && status != 401)
        {
            return "a caller without a valid token got something else than 401";
        }

        // Authorization runs once routing has found the endpoint and before anything reads the request, so a caller
        // without the role gets exactly 403 whatever else is wrong; where routing finds no endpoint (an empty path
        // value) the fallback policy lets any signed-in caller through to a 404 or 405, never a 2xx.
        if (!operation.Anonymous && request.Auth.IsValid() && !request.Auth.Satisfies(operation.Role!) && (request.Routable ? status != 403 : success))
        {
            return $"a caller without {operation.Role} got {status}, not 403";
        }

        if (operation.Mutating && success)
        {
            return $"a mutating request that must be refused ({request.Refusal}) succeeded";
        }

        return null;
    }

    /// <summary>
    /// The document's operations, each with the role its endpoint's policy requires. The role comes from the endpoint
    /// metadata (the document states it only in a sentence); the document's anonymity must agree with it.
    /// </summary>
    private async Task<List<ApiOperation>> OperationsAsync()
    {
        var endpoints = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Key: $"{m} /{e.RoutePattern.RawText!.Trim('/')}", Endpoint: e)))
            .ToDictionary(e => e.Key, e => e.Endpoint);
        var operations = new List<ApiOperation>();
        foreach (var operation in new ApiDescription(await DocumentAsync()).Operations)
        {
            Assert.True(endpoints.TryGetValue(operation.ToString(), out var endpoint), $"{operation} is documented but not mapped");
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            Assert.True(anonymous == operation.Anonymous, $"{operation}: the document says anonymous={operation.Anonymous}, the endpoint {anonymous}");
            var role = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
            Assert.True(anonymous || FleetRoles.All.Contains(role), $"{operation} requires no fleet role");
            operations.Add(operation with { Role = anonymous ? null : role });
        }

        // The API's operations are all there (the health probes and every resource), not just a few.
        Assert.Contains(operations, o => o.Anonymous);
        Assert.True(operations.Count(o => o.Mutating) >= 10, $"only {operations.Count(o => o.Mutating)} mutating operations documented");
        return operations;
    }

    private async Task<JsonElement> DocumentAsync()
    {
        using var client = _app.Anonymous();
        return await client.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));
    }

    private static Dictionary<AuthKind, string> Tokens() => new()
    {
        [AuthKind.Garbage] = "not-a-jwt",
        [AuthKind.WrongKey] = TestTokens.WrongKey(FleetRoles.Admin),
        [AuthKind.AlgNone] = TestTokens.AlgNone(FleetRoles.Admin),
        [AuthKind.Tampered] = TestTokens.Tampered(FleetRoles.Admin),
        [AuthKind.Expired] = TestTokens.Expired(FleetRoles.Admin),
        [AuthKind.WrongAudience] = TestTokens.WrongAudience(FleetRoles.Admin),
        [AuthKind.NoRole] = FleetApp.Token(null, "walker"),
        [AuthKind.Read] = FleetApp.Token(FleetRoles.Read, "walker"),
        [AuthKind.Operate] = FleetApp.Token(FleetRoles.Operate, "walker"),
        [AuthKind.Admin] = FleetApp.Token(FleetRoles.Admin, "walker"),
    };

    /// <summary>The counts by caller and status class, to the test output and to artifacts/reliability/hostile-input.md.</summary>
    private void Report(int operations, int rounds, int total, TimeSpan elapsed, ConcurrentDictionary<(AuthKind Auth, string Class), int> counts, ConcurrentDictionary<int, int> statuses)
    {
        string[] classes = ["2xx", "3xx", "4xx", "5xx"];
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"Hostile-input walk: {total} requests over {operations} operations of /openapi/v1.json ({rounds} rounds, each operation at least {rounds} times) in {elapsed.TotalSeconds:F1} s.");
        table.AppendLine();
        table.AppendLine("| caller | " + string.Join(" | ", classes) + " | total |");
        table.AppendLine("|---|" + string.Concat(classes.Select(_ => "---:|")) + "---:|");
        foreach (var auth in AuthKinds.All)
        {
            var row = classes.Select(c => counts.GetValueOrDefault((auth, c))).ToList();
            table.AppendLine(CultureInfo.InvariantCulture, $"| {auth} | {string.Join(" | ", row)} | {row.Sum()} |");
        }

        var totals = classes.Select(c => counts.Where(k => k.Key.Class == c).Sum(k => k.Value)).ToList();
        table.AppendLine(CultureInfo.InvariantCulture, $"| all | {string.Join(" | ", totals)} | {totals.Sum()} |");
        table.AppendLine();
        table.AppendLine("By status: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x {s.Value}")) + ".");

        var text = table.ToString();
        _output.WriteLine(text);
        var path = Path.Combine(RepoPaths.Root, "artifacts", "reliability", "hostile-input.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static string Difference(string before, string after)
    {
        var old = before.Split('\n').ToHashSet(StringComparer.Ordinal);
        var now = after.Split('\n').ToHashSet(StringComparer.Ordinal);
        return string.Join('\n', old.Except(now).Select(l => "- " + l).Concat(now.Except(old).Select(l => "+ " + l)).Take(50));
    }

    private static string Cut(string text) => text.Length <= 300 ? text : text[..300];
}
