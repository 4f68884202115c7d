using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Tests.Api;

namespace LdFleet.Functions.Tests.Audit;

/// <summary>Every mutating call leaves an audit row (who, role, action, target, outcome, time); only Admin reads them.</summary>
[Collection("api")]
public sealed class AuditTests
{
    private readonly ApiFixture _fixture;

    public AuditTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task MutatingCalls_AreAudited_WithOutcome_ReadsAreNot()
    {
        var site = ApiFixture.NewSiteId("a");
        var caller = "auditee-" + Guid.NewGuid().ToString("N")[..6];
        using var admin = _fixture.SelfHosted.Client(FleetRoles.Admin, caller);
        using var reader = _fixture.SelfHosted.Client(FleetRoles.Read, caller + "-r");

        (await admin.PostAsJsonAsync("/api/sites", new { id = site })).Dispose();
        (await admin.GetAsync(new Uri($"/api/sites/{site}", UriKind.Relative))).Dispose();
        (await reader.DeleteAsync(new Uri($"/api/sites/{site}", UriKind.Relative))).Dispose();
        using (var launch = new HttpRequestMessage(HttpMethod.Post, $"/api/sites/{site}/hosts/host-1/emulators/3/launch"))
        {
            launch.Headers.Add("Idempotency-Key", "audit-key");
            (await admin.SendAsync(launch)).Dispose();
        }

        var rows = await Poll(admin, r => r.Count(e => e.GetProperty("target").GetString()!.Contains(site, StringComparison.Ordinal) || e.GetProperty("callerName").GetString()!.StartsWith(caller, StringComparison.Ordinal)) >= 3);
        var mine = rows.Where(e => e.GetProperty("callerName").GetString()!.StartsWith(caller, StringComparison.Ordinal)).ToList();

        var register = Assert.Single(mine, e => e.GetProperty("action").GetString() == "RegisterSite");
        Assert.Equal("succeeded", register.GetProperty("outcome").GetString());
        Assert.Equal(201, register.GetProperty("status").GetInt32());
        Assert.Equal(["Fleet.Admin"], register.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        var denied = Assert.Single(mine, e => e.GetProperty("action").GetString() == "DeleteSite");
        Assert.Equal("denied", denied.GetProperty("outcome").GetString());
        Assert.Equal($"siteId={site}", denied.GetProperty("target").GetString());
        Assert.Equal(caller + "-r", denied.GetProperty("callerName").GetString());

        var launched = Assert.Single(mine, e => e.GetProperty("action").GetString() == "StartEmulatorWorkflow");
        Assert.Equal("audit-key", launched.GetProperty("idempotencyKey").GetString());
        Assert.Equal($"siteId={site}/hostId=host-1/index=3/workflow=launch", launched.GetProperty("target").GetString());
        Assert.DoesNotContain(mine, e => e.GetProperty("method").GetString() == "GET");

        var byCaller = await admin.GetFromJsonAsync<JsonElement>(new Uri($"/api/audit?callerId={Uri.EscapeDataString(register.GetProperty("callerId").GetString()!)}&action=RegisterSite", UriKind.Relative));
        Assert.Single(byCaller.EnumerateArray());
    }

    [Fact]
    public async Task AuditQuery_PagesAndValidates()
    {
        using var admin = _fixture.SelfHosted.Client(FleetRoles.Admin, "pager");
        for (var i = 0; i < 3; i++)
        {
            (await admin.PostAsJsonAsync("/api/sites", new { id = "BAD ID" })).Dispose();
        }

        using var first = await admin.GetAsync(new Uri("/api/audit?pageSize=2", UriKind.Relative));
        Assert.Equal(2, (await first.ReadAsync()).GetArrayLength());
        var token = first.Headers.GetValues("Continuation-Token").Single();
        using var second = await admin.GetAsync(new Uri($"/api/audit?pageSize=2&continuationToken={token}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        using var badDay = await admin.GetAsync(new Uri("/api/audit?day=yesterday", UriKind.Relative));
        await badDay.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    private static async Task<List<JsonElement>> Poll(HttpClient admin, Func<List<JsonElement>, bool> done)
    {
        // The row is written as the response completes; a moment may pass before it is visible.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var rows = (await admin.GetFromJsonAsync<JsonElement>(new Uri("/api/audit?pageSize=1000", UriKind.Relative))).EnumerateArray().ToList();
            if (done(rows) || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(50);
        }
    }
}
