using System.Net;
using System.Text;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Tests.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LdFleet.Functions.Tests.Security;

/// <summary>
/// Every endpoint the app maps is declared here with the access it must have. An endpoint missing from the
/// table, one without authorization metadata, or one whose policy differs fails the test; then each is called
/// over real HTTP by every kind of caller, and the status must be 401, 403 or "let through" exactly as declared.
/// New endpoints therefore cannot ship without a line here.
/// </summary>
[Collection("api")]
public sealed class RoleMatrixTests
{
    /// <summary>Who may call an endpoint.</summary>
    public enum Access
    {
        Read,
        Operate,
        Admin,

        /// <summary>Anyone (health probes, the API description, the dashboard's files and sign-in settings).</summary>
        Anonymous,
    }

    private static readonly Dictionary<(string Method, string Pattern), Access> Expected = new()
    {
        [("GET", "/health/live")] = Access.Anonymous,
        [("GET", "/health/ready")] = Access.Anonymous,
        [("GET", "/openapi/{documentName}.json")] = Access.Anonymous,
        [("GET", "/docs/{documentName?}")] = Access.Anonymous,
        [("GET", "/docs/scalar.js")] = Access.Anonymous,
        [("GET", "/docs/scalar.aspnetcore.js")] = Access.Anonymous,
        [("GET", "/docs/favicon.svg")] = Access.Anonymous,
        [("GET", "/dashboard")] = Access.Anonymous,
        [("GET", "/dashboard/config.json")] = Access.Anonymous,
        [("GET", "/dashboard/{**path}")] = Access.Anonymous,

        [("GET", "/api/sites")] = Access.Read,
        [("POST", "/api/sites")] = Access.Admin,
        [("GET", "/api/sites/{siteId}")] = Access.Read,
        [("DELETE", "/api/sites/{siteId}")] = Access.Admin,
        [("POST", "/api/sites/{siteId}/relay-credentials")] = Access.Admin,
        [("GET", "/api/sites/{siteId}/relay")] = Access.Read,
        [("GET", "/api/sites/{siteId}/hosts")] = Access.Read,
        [("GET", "/api/sites/{siteId}/hosts/{hostId}")] = Access.Read,
        [("PUT", "/api/sites/{siteId}/hosts/{hostId}")] = Access.Admin,
        [("DELETE", "/api/sites/{siteId}/hosts/{hostId}")] = Access.Admin,

        [("GET", "/api/emulators")] = Access.Read,
        [("GET", "/api/sites/{siteId}/emulators")] = Access.Read,
        [("GET", "/api/sites/{siteId}/hosts/{hostId}/emulators/{index}")] = Access.Read,
        [("PUT", "/api/sites/{siteId}/hosts/{hostId}/emulators/{index}/labels")] = Access.Operate,

        [("POST", "/api/sites/{siteId}/hosts/{hostId}/emulators/{index}/{workflow}")] = Access.Operate,
        [("POST", "/api/operations")] = Access.Operate,
        [("POST", "/api/sites/{siteId}/hosts/{hostId}/test-connection")] = Access.Operate,
        [("GET", "/api/operations")] = Access.Read,
        [("GET", "/api/operations/{operationId}")] = Access.Read,
        [("POST", "/api/operations/{operationId}/cancel")] = Access.Operate,
        [("POST", "/api/batches")] = Access.Operate,
        [("GET", "/api/batches/{batchId}")] = Access.Read,
        [("GET", "/api/batches/{batchId}/items")] = Access.Read,
        [("POST", "/api/batches/{batchId}/cancel")] = Access.Operate,

        [("POST", "/api/apps")] = Access.Operate,
        [("GET", "/api/apps")] = Access.Read,
        [("GET", "/api/apps/{sha256}")] = Access.Read,

        [("GET", "/api/audit")] = Access.Admin,

    };

    private readonly ApiFixture _fixture;

    public RoleMatrixTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public void EveryEndpoint_IsDeclared_WithMatchingAuthorizationMetadata()
    {
        var endpoints = Endpoints(_fixture.SelfHosted);
        var problems = new List<string>();
        foreach (var (method, pattern, endpoint) in endpoints)
        {
            if (!Expected.TryGetValue((method, pattern), out var access))
            {
                problems.Add($"undeclared endpoint {method} {pattern}: add it to RoleMatrixTests.Expected");
                continue;
            }

            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).Where(p => p is not null).Distinct().ToList();
            switch (access)
            {
                case Access.Anonymous when !anonymous:
                    problems.Add($"{method} {pattern} is declared {access} but is not AllowAnonymous");
                    break;
                case Access.Read or Access.Operate or Access.Admin when anonymous:
                    problems.Add($"{method} {pattern} must not allow anonymous callers");
                    break;
                case Access.Read or Access.Operate or Access.Admin when policies.Count != 1 || policies[0] != Policy(access):
                    problems.Add($"{method} {pattern} has policies [{string.Join(", ", policies)}], expected exactly {Policy(access)}");
                    break;
            }
        }

        foreach (var declared in Expected.Keys.Where(k => !endpoints.Any(e => e.Method == k.Method && e.Pattern == k.Pattern)))
        {
            problems.Add($"declared {declared.Method} {declared.Pattern} is not mapped any more: remove it from the table");
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public async Task EveryEndpoint_AnswersEachCaller_ExactlyAsDeclared()
    {
        var app = _fixture.SelfHosted;
        var callers = new (string Name, string? Token, Access? Role)[]
        {
            ("no token", null, null),
            ("garbage token", "not-a-jwt", null),
            ("wrong key", TestTokens.WrongKey(FleetRoles.Admin), null),
            ("expired", TestTokens.Expired(FleetRoles.Admin), null),
            ("no role", FleetApp.Token(null), null),
            ("Read", FleetApp.Token(FleetRoles.Read), Access.Read),
            ("Operate", FleetApp.Token(FleetRoles.Operate), Access.Operate),
            ("Admin", FleetApp.Token(FleetRoles.Admin), Access.Admin),
        };

        var failures = new List<string>();
        using var http = app.Anonymous();
        foreach (var (method, pattern, access) in Expected.Select(e => (e.Key.Method, e.Key.Pattern, e.Value)))
        {
            foreach (var (name, token, role) in callers)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(pattern));
                if (token is not null)
                {
                    request.Headers.Authorization = new("Bearer", token);
                }

                if (method is "POST" or "PUT")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using var response = await http.SendAsync(request);
                var status = (int)response.StatusCode;
                var authenticated = token is not null && name is "no role" or "Read" or "Operate" or "Admin";
                var expected = access switch
                {
                    Access.Anonymous => "through",
                    _ when !authenticated => "401",
                    _ when role is null || !Satisfies(role.Value, access) => "403",
                    _ => "through",
                };
                var actual = status switch { 401 => "401", 403 => "403", _ => "through" };
                if (actual != expected || status >= 500)
                {
                    failures.Add($"{method} {pattern} as {name}: expected {expected}, got {status} {await response.Content.ReadAsStringAsync()}");
                }

                if (status is 401 or 403 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"{method} {pattern} as {name}: {status} without problem+json");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    private static List<(string Method, string Pattern, RouteEndpoint Endpoint)> Endpoints(FleetApp app) =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, "/" + e.RoutePattern.RawText!.Trim('/'), e)))
            .ToList();

    private static string Policy(Access access) => access switch
    {
        Access.Read => FleetPolicies.Read,
        Access.Operate => FleetPolicies.Operate,
        _ => FleetPolicies.Admin,
    };

    private static bool Satisfies(Access role, Access required) => required switch
    {
        Access.Read => true,
        Access.Operate => role is Access.Operate or Access.Admin,
        _ => role == Access.Admin,
    };

    /// <summary>Route values that pass routing but keep handlers from changing anything (bad index, unknown ids).</summary>
    private static string Concrete(string pattern) => pattern
        .Replace("{siteId}", "matrix-site", StringComparison.Ordinal)
        .Replace("{hostId}", "host-1", StringComparison.Ordinal)
        .Replace("{index}", "not-an-index", StringComparison.Ordinal)
        .Replace("{operationId}", new string('0', 32), StringComparison.Ordinal)
        .Replace("{sha256}", new string('0', 64), StringComparison.Ordinal)
        .Replace("{documentName}", "v1", StringComparison.Ordinal)
        .Replace("{documentName?}", "", StringComparison.Ordinal)
        .Replace("{**path}", "app.js", StringComparison.Ordinal);
}
