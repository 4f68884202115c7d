using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Tests.Api;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Tests.Inventory;

/// <summary>Inventory reports into Tables (transactions, merge) and the emulator API on top (filters, paging, labels).</summary>
[Collection("api")]
public sealed class InventoryApiTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly ApiFixture _fixture;

    public InventoryApiTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task LargeHost_IsWrittenInTransactions_AndPagesThroughWithTokens()
    {
        var site = ApiFixture.NewSiteId();
        var store = _fixture.SelfHosted.Get<InventoryStore>();
        Assert.True(await store.ApplyInventoryAsync(Report(site, "host-1", T0, Enumerable.Range(0, 250)), default));
        using var client = _fixture.SelfHosted.Client(FleetRoles.Read);

        var seen = new List<int>();
        var pages = 0;
        string? next = $"/api/sites/{site}/emulators?pageSize=60";
        while (next is not null)
        {
            using var response = await client.GetAsync(new Uri(next, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.AddRange((await response.ReadAsync()).EnumerateArray().Select(e => e.GetProperty("index").GetInt32()));
            pages++;
            next = response.Headers.TryGetValues("Link", out var links) ? links.Single().Split('>')[0].TrimStart('<') : null;
            Assert.Equal(next is null, !response.Headers.Contains(PagedResult<object>.TokenHeader));
        }

        Assert.Equal(5, pages);
        Assert.Equal(Enumerable.Range(0, 250), seen);
    }

    [Fact]
    public async Task Labels_SurviveReports_FilterListings_AndGoWithTheEmulator()
    {
        var site = ApiFixture.NewSiteId();
        var store = _fixture.SelfHosted.Get<InventoryStore>();
        await store.ApplyInventoryAsync(Report(site, "host-1", T0, [0, 1, 2]), default);
        await store.ApplyInventoryAsync(Report(site, "host-2", T0, [0]), default);
        using var operate = _fixture.SelfHosted.Client(FleetRoles.Operate);

        using var put = await operate.PutAsync(new Uri($"/api/sites/{site}/hosts/host-1/emulators/1/labels", UriKind.Relative), JsonContent.Create(new Dictionary<string, string> { ["env"] = "prod", ["team"] = "qa" }));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        // The next report changes the emulator's state and drops emulator 2: labels stay, the row of 2 goes.
        await store.ApplyInventoryAsync(Report(site, "host-1", T0.AddMinutes(1), [0, 1], state: "running"), default);
        var shown = await operate.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{site}/hosts/host-1/emulators/1", UriKind.Relative));
        Assert.Equal("running", shown.GetProperty("state").GetString());
        Assert.Equal("prod", shown.GetProperty("labels").GetProperty("env").GetString());
        Assert.Equal($"{site}/host-1/1", shown.GetProperty("id").GetString());
        using var gone = await operate.GetAsync(new Uri($"/api/sites/{site}/hosts/host-1/emulators/2", UriKind.Relative));
        await gone.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");

        Assert.Equal([1], await Indexes(operate, $"/api/emulators?siteId={site}&label=env=prod&label=team=qa"));
        Assert.Empty(await Indexes(operate, $"/api/emulators?siteId={site}&label=env=dev"));
        Assert.Equal([0, 1], await Indexes(operate, $"/api/sites/{site}/emulators?hostId=host-1&state=running"));
        Assert.Equal([0], await Indexes(operate, $"/api/sites/{site}/emulators?hostId=host-2"));
        Assert.Equal([1], await Indexes(operate, $"/api/sites/{site}/emulators?name=LDPLAYER-1*"));
        Assert.Equal([0, 0], await Indexes(operate, $"/api/sites/{site}/emulators?name=*-0"));
        Assert.Equal([0, 1, 0], await Indexes(operate, $"/api/sites/{site}/emulators?name=ldplayer-%3F"));

        var selected = await store.QueryAsync(new EmulatorQuery { SiteId = site, Labels = new Dictionary<string, string> { ["team"] = "qa" } }, default);
        Assert.Equal("qa", Assert.Single(selected).Labels["team"]);

        // Replacing the set removes labels not given.
        using var replace = await operate.PutAsync(new Uri($"/api/sites/{site}/hosts/host-1/emulators/1/labels", UriKind.Relative), JsonContent.Create(new Dictionary<string, string> { ["env"] = "dev" }));
        var replaced = await replace.ReadAsync();
        Assert.False(replaced.GetProperty("labels").TryGetProperty("team", out _));
    }

    [Fact]
    public async Task OlderReport_IsIgnored_AndHostErrorsAreRecorded()
    {
        var site = ApiFixture.NewSiteId();
        var store = _fixture.SelfHosted.Get<InventoryStore>();
        Assert.True(await store.ApplyInventoryAsync(Report(site, "host-1", T0, [0, 1]), default));

        Assert.False(await store.ApplyInventoryAsync(Report(site, "host-1", T0.AddSeconds(-1), [5]), default));
        Assert.False(await store.ApplyInventoryAsync(Report(site, "host-1", T0.AddSeconds(5), []) with { Error = "ssh: connection refused" }, default));

        Assert.Equal([0, 1], (await store.ListEmulatorsAsync(site, null, default)).Select(e => e.Index));
        var host = Assert.Single(await store.ListHostObservationsAsync(site, default));
        Assert.Equal("ssh: connection refused", host.LastError);
        Assert.Equal(2, host.EmulatorCount);
    }

    [Theory]
    [InlineData("state=dancing", "state")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=1001", "pageSize")]
    [InlineData("continuationToken=bm9wZQ", "continuationToken")]
    [InlineData("label=Env=prod", "label")]
    [InlineData("label=novalue", "label")]
    [InlineData("hostId=../etc", "hostId")]
    [InlineData("siteId=UPPER", "siteId")]
    public async Task BadFilters_AreValidationProblemsNamingTheField(string query, string field)
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Read);

        using var response = await client.GetAsync(new Uri("/api/emulators?" + query, UriKind.Relative));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task TokenOfAnotherListing_IsRejected()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Admin);
        var token = new ContinuationToken("audit", "x", "y").Encode();

        using var response = await client.GetAsync(new Uri("/api/emulators?continuationToken=" + token, UriKind.Relative));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task BadLabels_NameTheOffendingKey()
    {
        var site = ApiFixture.NewSiteId();
        await _fixture.SelfHosted.Get<InventoryStore>().ApplyInventoryAsync(Report(site, "host-1", T0, [0]), default);
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);

        using var response = await client.PutAsync(new Uri($"/api/sites/{site}/hosts/host-1/emulators/0/labels", UriKind.Relative), JsonContent.Create(new Dictionary<string, object> { ["Bad-Key"] = "x" }));
        using var wrongType = await client.PutAsync(new Uri($"/api/sites/{site}/hosts/host-1/emulators/0/labels", UriKind.Relative), JsonContent.Create(new Dictionary<string, object> { ["env"] = 5 }));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty("labels.Bad-Key", out _), problem.ToString());
        var typed = await wrongType.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True(typed.GetProperty("errors").TryGetProperty("env", out _), typed.ToString());
    }

    internal static InventoryReport Report(string site, string host, DateTimeOffset at, IEnumerable<int> indexes, string state = "stopped") => new()
    {
        SiteId = site,
        HostId = host,
        ObservedAt = at,
        Emulators = indexes.Select(i => new InventoryEmulator { Index = i, Title = $"LDPlayer-{i}", State = state, Width = 720, Height = 1280, Dpi = 240 }).ToList(),
    };

    private static async Task<List<int>> Indexes(HttpClient client, string path)
    {
        var list = await client.GetFromJsonAsync<JsonElement>(new Uri(path, UriKind.Relative));
        return list.EnumerateArray().Select(e => e.GetProperty("index").GetInt32()).ToList();
    }
}
