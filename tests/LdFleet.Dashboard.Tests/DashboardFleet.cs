using LdFleet.Testing;
using Microsoft.Playwright;

namespace LdFleet.Dashboard.Tests;

/// <summary>
/// The local fleet plus one headless Chromium (Debian's, at <c>/usr/bin/chromium</c> or <c>LDFLEET_CHROMIUM</c>: Playwright's
/// own browser downloads are not available) driven by Playwright's bundled node driver.
/// </summary>
public class DashboardFleet : FleetFixture
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    static DashboardFleet()
    {
        // Launches travel API -> queue -> relay -> simulator -> inventory report: seconds, on a loaded 2-core machine more.
        Assertions.SetDefaultExpectTimeout(60_000);
    }

    public static string ChromiumPath => Environment.GetEnvironmentVariable("LDFLEET_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>A token with every role: the fixture's own, minted by the app's development issuer.</summary>
    public string Token => Api.DefaultRequestHeaders.Authorization!.Parameter!;

    public IBrowser Browser => _browser!;

    public override async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium is not at {ChromiumPath}: install Debian's chromium package (./dev.sh test does) or set LDFLEET_CHROMIUM.");
        }

        await base.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,

            // Chromium refuses to sandbox as root (CI runs as root); /dev/shm is small in containers.
            Args = Environment.UserName == "root" ? ["--no-sandbox", "--disable-dev-shm-usage"] : ["--disable-dev-shm-usage"],
        });
    }

    /// <summary>A fresh browser context (own sessionStorage) on the dashboard; disposing it saves a screenshot.</summary>
    public Task<DashboardSession> OpenAsync(string testName, Uri? baseAddress = null) =>
        DashboardSession.OpenAsync(Browser, baseAddress ?? Api.BaseAddress!, testName);

    public override async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        await base.DisposeAsync();
    }
}
