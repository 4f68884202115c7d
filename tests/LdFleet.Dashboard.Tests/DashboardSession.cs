using LdFleet.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LdFleet.Dashboard.Tests;

/// <summary>
/// One browser context on the dashboard. It records what the browser complained about (script errors, CSP
/// violations) and, when disposed, whether the test passed or not, saves a full-page screenshot to
/// <c>artifacts/screenshots/</c> (git-ignored) for the CI's artefacts.
/// </summary>
public sealed class DashboardSession : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly string _name;
    private readonly List<string> _browserErrors = [];

    private DashboardSession(IBrowserContext context, IPage page, string name)
    {
        _context = context;
        Page = page;
        _name = name;
        page.PageError += (_, error) => _browserErrors.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            // Refused API calls (401 in the sign-in tests) are logged by Chromium as failed resource loads: expected.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                _browserErrors.Add("console: " + message.Text);
            }
        };
    }

    public IPage Page { get; }

    public static string ScreenshotDirectory => Path.Combine(RepoPaths.Root, "artifacts", "screenshots");

    public static async Task<DashboardSession> OpenAsync(IBrowser browser, Uri baseAddress, string name)
    {
        ArgumentNullException.ThrowIfNull(browser);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        return new DashboardSession(context, page, name);
    }

    /// <summary>Script errors and Content-Security-Policy violations the page raised so far.</summary>
    public IReadOnlyList<string> BrowserErrors => _browserErrors;

    public ILocator EmulatorRows => Page.Locator("#emulators tbody tr");

    public ILocator Emulator(string hostId, int index) => Page.Locator($"#emulators tbody tr[data-key='{FleetFixture.SiteId}/{hostId}/{index}']");

    public async Task SignInAsync(string token)
    {
        await Page.GotoAsync("/dashboard/");
        await Page.GetByLabel("Development token").FillAsync(token);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Emulators", Exact = true })).ToBeVisibleAsync();
    }

    /// <summary>Shows only one host's emulators through the filter form.</summary>
    public async Task FilterAsync(string? hostId = null, string? state = null)
    {
        await Page.GetByLabel("Host", new() { Exact = true }).SelectOptionAsync(hostId ?? "");
        await Page.GetByLabel("State", new() { Exact = true }).SelectOptionAsync(state ?? "");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Directory.CreateDirectory(ScreenshotDirectory);
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, _name + ".png"), FullPage = true });
        }
        finally
        {
            await _context.CloseAsync();
        }
    }
}
