using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LdFleet.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LdFleet.Dashboard.Tests;

/// <summary>
/// The dashboard in a real browser against the real local fleet: cloud app, relay and simulated LDPlayer hosts. Each
/// test acts on emulators no other test here touches, so the order they run in does not matter.
/// </summary>
public sealed class DashboardTests : IClassFixture<DashboardFleet>
{
    private readonly DashboardFleet _fleet;

    public DashboardTests(DashboardFleet fleet) => _fleet = fleet;

    [Fact]
    public async Task SignIn_DevToken_ShowsSitesHostsAndEveryEmulator()
    {
        await using var session = await _fleet.OpenAsync(nameof(SignIn_DevToken_ShowsSitesHostsAndEveryEmulator));

        await session.SignInAsync(_fleet.Token);

        await Expect(session.EmulatorRows).ToHaveCountAsync(8);
        await Expect(session.Page.Locator("#emulators caption")).ToHaveTextAsync("8 emulators");
        var site = session.Page.Locator("#sites tbody tr", new() { HasText = FleetFixture.SiteId });
        await Expect(site.Locator(".badge")).ToHaveTextAsync("online");
        await Expect(session.Page.Locator("#hosts tbody tr")).ToHaveCountAsync(2);
        await Expect(session.Page.Locator("#hosts tbody tr", new() { HasText = "host-2" }).Locator("td.status .badge")).ToHaveTextAsync("ok");
        await Expect(session.Page.Locator("#who-text")).ToHaveTextAsync("Signed in as end-to-end (Fleet.Admin)");
        Assert.Empty(session.BrowserErrors);
    }

    [Fact]
    public async Task Filter_ByHostAndState_ShowsOnlyMatchingEmulators()
    {
        await using var session = await _fleet.OpenAsync(nameof(Filter_ByHostAndState_ShowsOnlyMatchingEmulators));
        await session.SignInAsync(_fleet.Token);
        await Expect(session.EmulatorRows).ToHaveCountAsync(8);

        await session.FilterAsync(hostId: "host-2");

        await Expect(session.EmulatorRows).ToHaveCountAsync(4);
        await Expect(session.Page.Locator("#emulators tbody tr:not([data-key^='lab/host-2/'])")).ToHaveCountAsync(0);

        await session.FilterAsync(hostId: "host-2", state: "running");

        await Expect(session.Page.Locator("#emulators tbody tr:not([data-state='running'])")).ToHaveCountAsync(0);
        await Expect(session.Page.Locator("#emulators tbody tr:not([data-key^='lab/host-2/'])")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Launch_OneStoppedEmulatorFromTheGrid_CellTurnsRunning()
    {
        await using var session = await _fleet.OpenAsync(nameof(Launch_OneStoppedEmulatorFromTheGrid_CellTurnsRunning));
        await session.SignInAsync(_fleet.Token);
        await session.FilterAsync(hostId: "host-1");
        var emulator = session.Emulator("host-1", 1);
        await Expect(emulator.Locator("td.state")).ToHaveTextAsync("stopped");

        await emulator.GetByRole(AriaRole.Checkbox).CheckAsync();
        await Expect(session.Page.Locator("#selected-count")).ToHaveTextAsync("1");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Launch", Exact = true }).ClickAsync();

        // The announcement is replaced when the batch finishes, which a fast fleet does before the first check.
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync(new Regex("Batch started: launch on 1 emulator|Batch launch finished: Succeeded \\(1 succeeded"));
        await Expect(emulator.Locator("td.state")).ToHaveTextAsync("running");
        await Expect(emulator).ToHaveAttributeAsync("data-state", "running");
        Assert.Empty(session.BrowserErrors);
    }

    [Fact]
    public async Task LaunchBatch_TwoSelectedEmulators_ShowsBatchProgressToCompletion()
    {
        await using var session = await _fleet.OpenAsync(nameof(LaunchBatch_TwoSelectedEmulators_ShowsBatchProgressToCompletion));
        await session.SignInAsync(_fleet.Token);
        await session.FilterAsync(hostId: "host-2");

        await session.Emulator("host-2", 0).GetByRole(AriaRole.Checkbox).CheckAsync();
        await session.Emulator("host-2", 1).GetByRole(AriaRole.Checkbox).CheckAsync();
        await Expect(session.Page.Locator("#selected-count")).ToHaveTextAsync("2");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Launch", Exact = true }).ClickAsync();

        var batch = session.Page.Locator("#batches li").First;
        await Expect(batch.GetByRole(AriaRole.Heading)).ToContainTextAsync("launch × 2");
        await Expect(batch.Locator("progress")).ToHaveAttributeAsync("max", "2");
        await Expect(batch.Locator(".counts")).ToContainTextAsync("2 of 2 done — 2 succeeded, 0 failed");
        await Expect(batch.GetByRole(AriaRole.Heading).Locator(".badge")).ToHaveTextAsync("Succeeded");
        await Expect(batch.GetByRole(AriaRole.Button, new() { Name = "Cancel batch" })).ToBeHiddenAsync();
        await Expect(batch).Not.ToContainTextAsync("null");
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Batch launch finished: Succeeded (2 succeeded, 0 failed)");
        await Expect(session.Emulator("host-2", 0).Locator("td.state")).ToHaveTextAsync("running");
        await Expect(session.Emulator("host-2", 1).Locator("td.state")).ToHaveTextAsync("running");
        Assert.Empty(session.BrowserErrors);
    }

    [Fact]
    public async Task Delete_AsksFirst_AndKeepingStartsNothing()
    {
        await using var session = await _fleet.OpenAsync(nameof(Delete_AsksFirst_AndKeepingStartsNothing));
        await session.SignInAsync(_fleet.Token);
        var page = session.Page;
        await session.Emulator("host-1", 2).GetByRole(AriaRole.Checkbox).CheckAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();

        await Expect(page.GetByText("Delete 1 emulator for good?")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Confirm delete" })).ToBeFocusedAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Keep them" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Confirm delete" })).ToBeHiddenAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true })).ToBeFocusedAsync();
        await Expect(page.Locator("#no-batches")).ToBeVisibleAsync();
        await Expect(session.EmulatorRows).ToHaveCountAsync(8);
    }

    [Fact]
    public async Task Operations_ShowSteps_ListsEachStepWithItsOutcome()
    {
        // A two-step workflow started through the API: status, then rename (the emulator is stopped).
        using var response = await _fleet.Api.PostAsJsonAsync(
            new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/host-2/emulators/3/rename", UriKind.Relative),
            new { parameters = new Dictionary<string, string> { ["title"] = "renamed-in-dashboard-test" } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var done = await _fleet.WaitForTerminalAsync(response.Headers.Location!);
        Assert.True(done.Status == "Succeeded", $"rename ended {done.Status}: {done.Error}\n{_fleet.Diagnostics}");

        await using var session = await _fleet.OpenAsync(nameof(Operations_ShowSteps_ListsEachStepWithItsOutcome));
        await session.SignInAsync(_fleet.Token);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Steps of rename on lab/host-2 #3" }).ClickAsync();

        var detail = session.Page.Locator("#operation-detail");
        await Expect(detail).ToBeFocusedAsync();
        await Expect(detail.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Operation rename on lab/host-2 #3");
        await Expect(detail.Locator("#operation-summary")).ToContainTextAsync(done.Id);
        var steps = detail.Locator("#steps tbody tr");
        await Expect(steps).ToHaveCountAsync(done.Steps.Count);
        for (var i = 0; i < done.Steps.Count; i++)
        {
            await Expect(steps.Nth(i).Locator("th")).ToHaveTextAsync(done.Steps[i].Name);
            await Expect(steps.Nth(i).Locator("td").Nth(0)).ToHaveTextAsync(done.Steps[i].Action);
            await Expect(steps.Nth(i).Locator(".badge")).ToHaveTextAsync("Succeeded");
        }

        await Expect(steps.Locator("td", new() { HasText = "rename" }).First).ToBeVisibleAsync();
        await Expect(session.Emulator("host-2", 3).Locator("th")).ToHaveTextAsync("renamed-in-dashboard-test");
        Assert.Empty(session.BrowserErrors);
    }

    [Fact]
    public async Task SignIn_TokenOfAnotherIssuer_IsRefusedWithAnExplanation()
    {
        // A well-formed token of the same kind, signed by another fleet's development key.
        var foreign = await DevTokens.MintAsync(DevTokens.NewSigningKey(), "Fleet.Operate", "stranger");
        await using var session = await _fleet.OpenAsync(nameof(SignIn_TokenOfAnotherIssuer_IsRefusedWithAnExplanation));
        await session.Page.GotoAsync("/dashboard/");

        await session.Page.GetByLabel("Development token").FillAsync(foreign);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The API refused this token (401)");
        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Emulators" })).ToBeHiddenAsync();
        Assert.Null(await session.Page.EvaluateAsync<string?>("sessionStorage.getItem('ldfleet.devToken')"));

        // A reload does not sign the refused token in.
        await session.Page.ReloadAsync();
        await Expect(session.Page.GetByLabel("Development token")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Accessibility_EveryControlIsNamedAndReachable_AndTheCspHolds()
    {
        await using var session = await _fleet.OpenAsync(nameof(Accessibility_EveryControlIsNamedAndReachable_AndTheCspHolds));
        var page = session.Page;
        var response = await page.GotoAsync("/dashboard/");
        var csp = await response!.HeaderValueAsync("content-security-policy");
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);

        // The keyboard reaches the page: the skip link comes first and leads into the content.
        await Expect(page.GetByLabel("Development token")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#main")).ToBeFocusedAsync();

        await session.SignInAsync(_fleet.Token);

        // After signing in the focus is not lost with the vanished form: it moves to the content, and Tab reaches the filters.
        await Expect(page.Locator("#main")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByLabel("Site", new() { Exact = true })).ToBeFocusedAsync();
        await Expect(session.EmulatorRows).ToHaveCountAsync(8);
        await Expect(page.Locator("#hosts tbody tr")).ToHaveCountAsync(2);

        // Inline script is refused by the page's policy (the browser enforces the header the server sent).
        var inlineRan = await page.EvaluateAsync<bool>(
            "() => new Promise(resolve => { window.__inline = false; const s = document.createElement('script'); s.textContent = 'window.__inline = true'; document.body.append(s); setTimeout(() => resolve(window.__inline), 0); })");
        Assert.False(inlineRan);

        // Every visible control has a name a screen reader can announce: checked through Chromium's own accessibility tree.
        var controls = page.Locator("button:visible, input:visible, select:visible, textarea:visible");
        var count = await controls.CountAsync();
        Assert.True(count > 10, $"only {count} controls found");
        var unnamed = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var snapshot = await controls.Nth(i).AriaSnapshotAsync();
            var line = snapshot.Split('\n')[0];
            if (!line.Contains('"', StringComparison.Ordinal))
            {
                unnamed.Add($"{await controls.Nth(i).EvaluateAsync<string>("e => e.outerHTML.slice(0, 120)")} -> {line}");
            }
        }

        Assert.True(unnamed.Count == 0, "controls without an accessible name:\n" + string.Join('\n', unnamed));

        // Tables name their header cells' direction and status changes are announced politely.
        Assert.Equal(0, await page.Locator("th:not([scope])").CountAsync());
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveAttributeAsync("aria-live", "polite");

        // The only complaint is the refused inline script.
        Assert.NotEmpty(session.BrowserErrors);
        Assert.All(session.BrowserErrors, e => Assert.Contains("Content Security Policy", e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EntraConfigured_OffersMicrosoftSignIn_WithTheVendoredMsal()
    {
        var address = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        await using var cloud = CloudApp.Start(address, new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Storage__ConnectionString"] = _fleet.StorageConnectionString,
            ["Transport__ConnectionString"] = _fleet.StorageConnectionString,
            ["AzureAd__Instance"] = "https://login.microsoftonline.com/",
            ["AzureAd__TenantId"] = "11111111-2222-3333-4444-555555555555",
            ["AzureAd__ClientId"] = "66666666-7777-8888-9999-000000000000",
        });
        using var http = new HttpClient { BaseAddress = address };
        try
        {
            await CloudApp.WaitUntilLiveAsync(http, cloud);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + cloud.Tail(), e);
        }

        using var config = JsonDocument.Parse(await http.GetStringAsync(new Uri("/dashboard/config.json", UriKind.Relative)));
        Assert.False(config.RootElement.GetProperty("devIssuer").GetBoolean());
        var entra = config.RootElement.GetProperty("entra");
        Assert.Equal("https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555", entra.GetProperty("authority").GetString());
        Assert.Equal("api://66666666-7777-8888-9999-000000000000/.default", entra.GetProperty("scopes")[0].GetString());

        await using var session = await _fleet.OpenAsync(nameof(EntraConfigured_OffersMicrosoftSignIn_WithTheVendoredMsal), address);
        var response = await session.Page.GotoAsync("/dashboard/");
        Assert.Contains("connect-src 'self' https://login.microsoftonline.com;", await response!.HeaderValueAsync("content-security-policy"), StringComparison.Ordinal);

        await Expect(session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Microsoft" })).ToBeVisibleAsync();
        await Expect(session.Page.GetByLabel("Development token")).ToBeHiddenAsync();
        Assert.Equal("function", await session.Page.EvaluateAsync<string>("typeof window.msal.PublicClientApplication"));
        Assert.Empty(session.BrowserErrors);
    }
}
