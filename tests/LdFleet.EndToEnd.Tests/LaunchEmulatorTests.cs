using LdFleet.Testing;
using System.Net;
using System.Net.Http.Json;

namespace LdFleet.EndToEnd.Tests;

/// <summary>The walking skeleton: an emulator launch travels API -> Tables -> queue -> relay -> ldconsole -> result.</summary>
public sealed class LaunchEmulatorTests : IClassFixture<FleetFixture>
{
    private readonly FleetFixture _fleet;

    public LaunchEmulatorTests(FleetFixture fleet) => _fleet = fleet;

    [Fact]
    public async Task Launch_ExistingEmulator_SucceedsAndEmulatorRuns()
    {
        var host = _fleet.Hosts[1];

        using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/{host.Id}/emulators/2/launch", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.NotNull(response.Headers.Location);
        var accepted = await response.Content.ReadFromJsonAsync<OperationDto>();
        Assert.Equal("launch", accepted!.Workflow);

        var done = await _fleet.WaitForTerminalAsync(response.Headers.Location!);
        Assert.True(done.Status == "Succeeded", $"operation ended {done.Status}: {done.ErrorCode} {done.Error}\n{_fleet.Diagnostics}");

        var row = (await host.List2Async()).Single(l => l.StartsWith("2,", StringComparison.Ordinal)).Split(',');
        Assert.True(int.Parse(row[5], System.Globalization.CultureInfo.InvariantCulture) > 0, $"list2 shows emulator 2 without a player process: {string.Join(',', row)}");
    }

    [Fact]
    public async Task Launch_MissingEmulator_FailsWithLdConsoleMessageAndChangesNothing()
    {
        var host = _fleet.Hosts[0];
        var before = await host.List2Async();

        using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/{host.Id}/emulators/42/launch", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var done = await _fleet.WaitForTerminalAsync(response.Headers.Location!);
        Assert.Equal("Failed", done.Status);
        Assert.Equal("PlayerNotFound", done.ErrorCode);
        Assert.Contains("player don't exist!", done.Output, StringComparison.Ordinal);
        Assert.Equal(before, await host.List2Async());
    }

    [Fact]
    public async Task Launch_InvalidIndex_IsRejectedWithProblemDetails()
    {
        using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/host-1/emulators/minus-one/launch", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"index\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOperation_Unknown_Returns404Problem()
    {
        using var response = await _fleet.Api.GetAsync(new Uri("/api/operations/0123456789abcdef0123456789abcdef", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
