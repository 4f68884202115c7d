using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LdFleet.Functions.Api.Security;

namespace LdFleet.Functions.Tests.Api;

/// <summary>
/// The hostile inputs of issues 17 and 19 over real HTTP: each is refused at the door with a 400 problem naming the
/// field, instead of a 202 and an InvalidArgument from the relay minutes later.
/// </summary>
[Collection("api")]
public sealed class HostileInputTests
{
    private readonly ApiFixture _fixture;

    public HostileInputTests(ApiFixture fixture) => _fixture = fixture;

    public static TheoryData<string, string> HostileTitles => new()
    {
        { "right-to-left override", "invoice\u202Efdp.exe" },
        { "path traversal", "../../etc/passwd" },
        { "300 characters", new string('q', 300) },
        { "zero-width space", "qa\u200B1" },
        { "line break", "qa\r\n1" },
    };

    [Theory]
    [MemberData(nameof(HostileTitles))]
    public async Task Provision_HostileTitle_Is400NamingParametersTitle(string kind, string title)
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);

        using var response = await client.PostAsJsonAsync("/api/operations", new { workflow = "provision", siteId = ApiFixture.NewSiteId(), hostId = "host-1", parameters = new { title } });

        var error = await FieldErrorAsync(response, "parameters.title");
        Assert.False(string.IsNullOrEmpty(error), kind);
        Assert.StartsWith("title ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sequence_SetPropKeyWithAShellCommand_Is400NamingTheStep()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);
        var steps = new object[]
        {
            new { action = "launch" },
            new { action = "waitbooted" },
            new { action = "setprop", parameters = new { key = "x; touch y", value = "1" } },
        };

        using var response = await client.PostAsJsonAsync("/api/operations", new { workflow = "sequence", siteId = ApiFixture.NewSiteId(), hostId = "host-1", index = 0, steps });

        Assert.Contains("property name", await FieldErrorAsync(response, "steps[2].parameters.key"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunApp_PackageThatIsAPath_Is400NamingParametersPackageName()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);

        using var response = await client.PostAsJsonAsync($"/api/sites/{ApiFixture.NewSiteId()}/hosts/host-1/emulators/0/runapp", new { parameters = new { packageName = "../../../../etc/passwd" } });

        Assert.Contains("Android package name", await FieldErrorAsync(response, "parameters.packageName"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adb_CommandWithASingleQuote_Is400NamingParametersCommand()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Admin);

        using var response = await client.PostAsJsonAsync("/api/operations", new { workflow = "adb", siteId = ApiFixture.NewSiteId(), hostId = "host-1", index = 0, parameters = new { command = "shell echo 'owned' > /sdcard/x" } });

        Assert.Contains("quotes", await FieldErrorAsync(response, "parameters.command"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Label_WithAZeroWidthCharacter_Is400NamingTheLabel()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);

        using var response = await client.PutAsJsonAsync($"/api/sites/{ApiFixture.NewSiteId()}/hosts/host-1/emulators/0/labels", new Dictionary<string, string> { ["env"] = "pr\u200Bod" });

        Assert.Contains("zero-width", await FieldErrorAsync(response, "labels.env"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batch_HostileParameterAndLabelFilter_Are400NamingBoth()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);

        using var response = await client.PostAsJsonAsync("/api/batches", new
        {
            workflow = "rename",
            parameters = new { title = "a\u2066b" },
            selector = new { siteIds = new[] { ApiFixture.NewSiteId() }, labels = new[] { "env=pr\u202Eod" } },
        });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        var errors = problem.GetProperty("errors");
        Assert.Contains("bidirectional", errors.GetProperty("parameters.title")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("bidirectional", errors.GetProperty("selector.labels[0]")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SiteDisplayNameAndHostAddress_HostileText_Are400()
    {
        using var admin = _fixture.SelfHosted.Client(FleetRoles.Admin);
        var site = ApiFixture.NewSiteId();

        using var register = await admin.PostAsJsonAsync("/api/sites", new { id = site, displayName = "Lab \u202Eevil" });
        using var registered = await admin.PostAsJsonAsync("/api/sites", new { id = site, displayName = "Lab 雷电" });
        using var host = await admin.PutAsJsonAsync($"/api/sites/{site}/hosts/pc-1", new { kind = "ssh", capacity = 4, address = "10.0.0.7;rm -rf /" });

        Assert.Contains("bidirectional", await FieldErrorAsync(register, "displayName"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.Contains("host name or IP address", await FieldErrorAsync(host, "address"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OrdinaryChineseTitle_IsAccepted()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);

        using var response = await client.PostAsJsonAsync("/api/operations", new { workflow = "provision", siteId = ApiFixture.NewSiteId(), hostId = "host-1", parameters = new { title = "雷电模拟器-qa 1", apps = @"com.example.shop; C:\apks\tool.apk" } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Provision_AppsEntryThatIsNotAPackageOrAnApk_Is400()
    {
        using var client = _fixture.SelfHosted.Client(FleetRoles.Operate);

        using var response = await client.PostAsJsonAsync("/api/operations", new { workflow = "provision", siteId = ApiFixture.NewSiteId(), hostId = "host-1", parameters = new { apps = "com.example.shop; ../../x.apk" } });

        Assert.Contains("'../../x.apk'", await FieldErrorAsync(response, "parameters.apps"), StringComparison.Ordinal);
    }

    private static async Task<string> FieldErrorAsync(HttpResponseMessage response, string field)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for '{field}' in {errors}");
        return messages.EnumerateArray().First().GetString() ?? "";
    }
}
