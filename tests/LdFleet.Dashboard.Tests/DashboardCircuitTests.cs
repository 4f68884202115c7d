using System.Text.RegularExpressions;
using LdFleet.Testing;
using static Microsoft.Playwright.Assertions;

namespace LdFleet.Dashboard.Tests;

/// <summary>The dashboard fleet with host-2's ldconsole behind a switch, so a test can make the host unreachable.</summary>
public sealed class CircuitDashboardFleet : DashboardFleet
{
    public LdConsoleSwitch DeadSwitch { get; } = new();

    protected override IReadOnlyDictionary<string, string?> RelaySettings => new Dictionary<string, string?>
    {
        ["Relay__Hosts__1__LdConsolePath"] = DeadSwitch.Path,
        ["Relay__Circuit__FailureThreshold"] = "2",

        // The circuit opens only when every call in the window failed (failure ratio 1): with the default one-minute
        // window, the calls that reached host-2 before the test broke it keep it closed for up to a minute, as long as
        // the test waits for "open". A 15 s window lets them age out in time, and holds three failed inventory rounds
        // (every 5 s) even if the launches' failures fell apart.
        ["Relay__Circuit__SamplingDuration"] = "00:00:15",
        ["Relay__Circuit__BreakDuration"] = "00:00:03",
        ["Relay__Circuit__ProbeInterval"] = "00:00:00.500",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        DeadSwitch.Dispose();
    }
}

/// <summary>The hosts table shows each host's circuit as its relay reports it: closed, open after failures, closed again.</summary>
public sealed class DashboardCircuitTests : IClassFixture<CircuitDashboardFleet>
{
    private readonly CircuitDashboardFleet _fleet;

    public DashboardCircuitTests(CircuitDashboardFleet fleet) => _fleet = fleet;

    [Fact]
    public async Task HostsTable_ShowsTheCircuitOpeningAndClosing()
    {
        await using var session = await _fleet.OpenAsync(nameof(HostsTable_ShowsTheCircuitOpeningAndClosing));
        await session.SignInAsync(_fleet.Token);
        var host2 = session.Page.Locator("#hosts tbody tr", new() { HasText = "host-2" });
        await Expect(host2.Locator("td.circuit .badge")).ToHaveTextAsync("closed");

        _fleet.DeadSwitch.Break();
        try
        {
            // Two launches that cannot start ldconsole: two failures in a row (the relay's inventory rounds count too).
            for (var i = 0; i < 2; i++)
            {
                using var launch = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/host-2/emulators/3/launch", UriKind.Relative), null);
                await _fleet.WaitForTerminalAsync(launch.Headers.Location!);
            }

            await Expect(host2.Locator("td.circuit .badge")).ToHaveTextAsync("open");
            await Expect(host2.Locator("td.circuit")).ToContainTextAsync(new Regex("since .+ after [0-9]+ failures"));
            await Expect(host2.Locator("td.status .badge")).ToHaveTextAsync("unreachable");
            await Expect(host2).ToContainTextAsync("could not be started");
            await session.Page.Locator("#hosts").ScreenshotAsync(new() { Path = Path.Combine(DashboardSession.ScreenshotDirectory, "HostsTable_CircuitOpen.png") });
        }
        finally
        {
            _fleet.DeadSwitch.Repair();
        }

        await Expect(host2.Locator("td.circuit .badge")).ToHaveTextAsync("closed");
        await Expect(session.Page.Locator("#hosts tbody tr", new() { HasText = "host-1" }).Locator("td.circuit .badge")).ToHaveTextAsync("closed");
        Assert.Empty(session.BrowserErrors);
    }

    [Fact]
    public async Task TestButton_ShowsEachStageOfAHealthyHost_AndTheFailingStageOfADeadOne()
    {
        await using var session = await _fleet.OpenAsync(nameof(TestButton_ShowsEachStageOfAHealthyHost_AndTheFailingStageOfADeadOne));
        await session.SignInAsync(_fleet.Token);
        var result = session.Page.Locator("#connection-test");

        await session.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Test the connection to lab/host-1" }).ClickAsync();

        await Expect(result).ToContainTextAsync("Connection to lab/host-1 passed");
        await Expect(result.Locator("li")).ToHaveCountAsync(3);
        await Expect(result).ToContainTextAsync("4 emulators");

        _fleet.DeadSwitch.Break();
        try
        {
            await session.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Test the connection to lab/host-2" }).ClickAsync();

            await Expect(result).ToContainTextAsync("Connection to lab/host-2 failed");
            await Expect(result.Locator("li .badge")).ToHaveTextAsync(["passed", "failed"]);
            await session.Page.Locator("#hosts").ScreenshotAsync(new() { Path = Path.Combine(DashboardSession.ScreenshotDirectory, "HostsTable_ConnectionTest.png") });
        }
        finally
        {
            _fleet.DeadSwitch.Repair();
        }

        Assert.Empty(session.BrowserErrors);
    }
}
