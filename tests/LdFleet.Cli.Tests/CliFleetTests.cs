using System.IO.Compression;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using LdFleet.Testing;

namespace LdFleet.Cli.Tests;

/// <summary>The real <c>ldfleet</c> binary against the real local fleet, output redirected (no terminal).</summary>
[Collection(CliFleetCollection.Name)]
public sealed class CliFleetTests : IDisposable
{
    private readonly CliFleet _fleet;
    private readonly CliRunner _cli = new();

    public CliFleetTests(CliFleet fleet) => _fleet = fleet;

    public void Dispose() => _cli.Dispose();

    /// <summary>Profile "local" on the fleet, logged in with <paramref name="role"/> (see <see cref="CliFleet.LoggedInConfigAsync"/>).</summary>
    private async Task LoginAsync(string role) => _cli.UseConfigFrom(await _fleet.LoggedInConfigAsync(role));

    [Fact]
    public async Task HostsTestConnection_PrintsEveryStage_AndExitsZeroOnAHealthyHost()
    {
        await LoginAsync("Fleet.Operate");

        var result = await _cli.RunAsync("hosts", "test-connection", "lab/host-1", "--interval", "0.2");
        var json = await _cli.RunAsync("hosts", "test-connection", "lab/host-1", "--json", "--interval", "0.2");
        var usage = await _cli.RunAsync("hosts", "test-connection", "host-1");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var stage in new[] { "reach", "ldconsole", "list2" })
        {
            Assert.Contains(stage, result.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains("Connection test passed", result.Stdout, StringComparison.Ordinal);
        Assert.Equal("Succeeded", JsonDocument.Parse(json.Stdout).RootElement.GetProperty("status").GetString());
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("site/host", usage.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginDev_StoresTokenPrivatelyAndWhoAmIShowsIt()
    {
        Assert.Equal(0, (await _cli.RunAsync("config", "set", "local", "--url", _fleet.ApiUrl, "--auth", "dev")).ExitCode);
        var login = await _cli.RunAsync("login", "--dev", "--key-file", _fleet.KeyFile, "--role", "Fleet.Operate", "--name", "cli-tests");
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Contains("Fleet.Operate", login.Stdout, StringComparison.Ordinal);

        var whoami = await _cli.RunAsync("whoami");

        Assert.True(whoami.ExitCode == 0, whoami.ToString());
        Assert.Contains("cli-tests", whoami.Stdout, StringComparison.Ordinal);
        Assert.Contains("Fleet.Operate", whoami.Stdout, StringComparison.Ordinal);
        var tokens = Path.Combine(Path.GetDirectoryName(_cli.ConfigFile)!, "tokens.json");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokens));
        }
    }

    [Fact]
    public async Task EmulatorsList_PrintsTableAndJson()
    {
        await LoginAsync("Fleet.Read");

        var table = await _cli.RunAsync("emulators", "list", "--site", FleetFixture.SiteId);
        var json = await _cli.RunAsync("emulators", "list", "--site", FleetFixture.SiteId, "--host", "host-2", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("STATE", table.Stdout, StringComparison.Ordinal);
        for (var i = 0; i < 4; i++)
        {
            Assert.Contains($"lab/host-1/{i}", table.Stdout, StringComparison.Ordinal);
            Assert.Contains($"lab/host-2/{i}", table.Stdout, StringComparison.Ordinal);
        }

        Assert.True(json.ExitCode == 0, json.ToString());
        var items = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(4, items.GetArrayLength());
        Assert.All(items.EnumerateArray(), e => Assert.Equal("host-2", e.GetProperty("hostId").GetString()));
    }

    [Fact]
    public async Task EmulatorsList_LimitFollowsPagesAndSaysWhenMoreExist()
    {
        await LoginAsync("Fleet.Read");

        var limited = await _cli.RunAsync("emulators", "list", "--site", FleetFixture.SiteId, "--limit", "3", "--json");
        var all = await _cli.RunAsync("emulators", "list", "--site", FleetFixture.SiteId, "--all", "--json");

        Assert.True(limited.ExitCode == 0, limited.ToString());
        Assert.Equal(3, JsonDocument.Parse(limited.Stdout).RootElement.GetArrayLength());
        Assert.Contains("more exist", limited.Stderr, StringComparison.Ordinal);
        Assert.Equal(8, JsonDocument.Parse(all.Stdout).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task OperationStartWatch_Succeeds_PrintsStatusLinesAndExitsZero()
    {
        await LoginAsync("Fleet.Operate");

        var result = await _cli.RunAsync("operations", "start", "launch", "--emulator", "lab/host-2/3", "--watch", "--interval", "0.2");

        Assert.True(result.ExitCode == 0, result.ToString() + _fleet.Diagnostics);
        var lines = result.StdoutLines;
        Assert.All(lines, l => Assert.StartsWith("operation ", l, StringComparison.Ordinal));
        Assert.Contains(" launch Succeeded", lines[^1], StringComparison.Ordinal);
        var id = lines[^1].Split(' ')[1];

        var show = await _cli.RunAsync("operations", "show", id, "--json");
        Assert.Equal("Succeeded", JsonDocument.Parse(show.Stdout).RootElement.GetProperty("status").GetString());

        var cancel = await _cli.RunAsync("operations", "cancel", id);
        Assert.True(cancel.ExitCode == 4, cancel.ToString());
        Assert.Contains("error: Operation already finished", cancel.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchStartedWithoutWatch_CanBeListedShownAndWatchedLater()
    {
        await LoginAsync("Fleet.Operate");

        var started = await _cli.RunAsync("batches", "start", "status", "--target", "lab/host-2/0", "--target", "lab/host-2/1", "--json");
        Assert.True(started.ExitCode == 0, started.ToString());
        var id = JsonDocument.Parse(started.Stdout).RootElement.GetProperty("id").GetString()!;

        var watch = await _cli.RunAsync("batches", "watch", id, "--interval", "0.2", "--timeout", "60s");
        var items = await _cli.RunAsync("batches", "items", id, "--json");
        var children = await _cli.RunAsync("operations", "list", "--batch", id);
        var hosts = await _cli.RunAsync("hosts", "list", FleetFixture.SiteId);

        Assert.True(watch.ExitCode == 0, watch.ToString());
        Assert.Contains($"batch {id} Succeeded: 2/2 succeeded", watch.StdoutLines[^1], StringComparison.Ordinal);
        Assert.All(JsonDocument.Parse(items.Stdout).RootElement.EnumerateArray(), i => Assert.Equal("Succeeded", i.GetProperty("status").GetString()));
        Assert.True(children.ExitCode == 0, children.ToString());
        Assert.Equal(2, children.StdoutLines.Count(l => l.Contains(" status ", StringComparison.Ordinal) && l.Contains("Succeeded", StringComparison.Ordinal)));
        Assert.True(hosts.ExitCode == 0, hosts.ToString());
        Assert.Contains("host-1", hosts.Stdout, StringComparison.Ordinal);
        Assert.Contains("host-2", hosts.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OperationStart_SendsOneIdempotencyKeyPerInvocation_SeenInTheAudit()
    {
        await LoginAsync("Fleet.Admin");

        var first = await _cli.RunAsync("operations", "start", "status", "--emulator", "lab/host-1/1", "--json");
        var second = await _cli.RunAsync("operations", "start", "status", "--emulator", "lab/host-1/1", "--json");
        var audit = await _cli.RunAsync("audit", "list", "--all", "--json");

        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, first.ToString() + second);
        var ids = new[] { first, second }.Select(r => JsonDocument.Parse(r.Stdout).RootElement.GetProperty("id").GetString()).ToList();
        Assert.NotEqual(ids[0], ids[1]);
        Assert.True(audit.ExitCode == 0, audit.ToString());
        var keys = JsonDocument.Parse(audit.Stdout).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("method").GetString() == "POST" && e.GetProperty("path").GetString() == "/api/operations")
            .Select(e => e.GetProperty("idempotencyKey").GetString())
            .ToList();
        Assert.True(keys.Count >= 2 && keys.All(k => Guid.TryParse(k, out _)) && keys.Distinct().Count() == keys.Count, string.Join(", ", keys));
    }

    [Fact]
    public async Task OperationOnMissingEmulator_WatchExitsWithFailedCode()
    {
        await LoginAsync("Fleet.Operate");

        var started = await _cli.RunAsync("operations", "start", "launch", "--site", "lab", "--host", "host-1", "--index", "77", "--json");
        Assert.True(started.ExitCode == 0, started.ToString());
        var id = JsonDocument.Parse(started.Stdout).RootElement.GetProperty("id").GetString()!;

        var watch = await _cli.RunAsync("operations", "watch", id, "--interval", "0.2");

        Assert.True(watch.ExitCode == 6, watch.ToString());
        Assert.Contains("PlayerNotFound", watch.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchStartWatch_WithoutTty_PrintsPlainProgressLinesAndExitsZero()
    {
        await LoginAsync("Fleet.Operate");

        var result = await _cli.RunAsync(
            "batches", "start", "status", "--site", FleetFixture.SiteId, "--host", "host-1", "--max-concurrency", "2", "--max-errors", "0", "--watch", "--interval", "0.2");

        Assert.True(result.ExitCode == 0, result.ToString() + _fleet.Diagnostics);
        var lines = result.StdoutLines;
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Matches(@"^batch [0-9a-f]{32} \w+: \d+/4 succeeded, \d+ failed, \d+ running, \d+ pending, eta (\d\d:\d\d:\d\d|--:--:--)$", l));
        Assert.Matches(@"Succeeded: 4/4 succeeded, 0 failed, 0 running, 0 pending, eta 00:00:00$", lines[^1]);
        Assert.DoesNotContain('\u001b', result.Stdout);
        Assert.Contains("Started batch", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchWatch_OnATerminal_DrawsALiveProgressBar()
    {
        await LoginAsync("Fleet.Operate");

        var result = await _cli.RunInTerminalAsync("batches", "start", "status", "--site", FleetFixture.SiteId, "--host", "host-2", "--watch", "--interval", "0.2");

        Assert.True(result.ExitCode == 0, result.ToString() + _fleet.Diagnostics);
        Assert.True(result.Stdout.Contains('\u001b', StringComparison.Ordinal) && result.Stdout.Contains("100%", StringComparison.Ordinal), result.ToString());
        Assert.Contains("Succeeded 4/4 succeeded, 0 failed, 0 running, eta 00:00:00", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailingBatch_WatchExitsNonZeroAndSaysWhy()
    {
        await LoginAsync("Fleet.Operate");

        var result = await _cli.RunAsync(
            "batches", "start", "launch", "--target", "lab/host-1/40", "--target", "lab/host-1/41", "--max-errors", "0", "--watch", "--plain", "--interval", "0.2");

        Assert.True(result.ExitCode == 6, result.ToString() + _fleet.Diagnostics);
        Assert.Contains(" Failed: 0/2 succeeded", result.StdoutLines[^1], StringComparison.Ordinal);
        Assert.Contains("Failed", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidationProblem_IsShownPerFieldWithApiExitCode()
    {
        await LoginAsync("Fleet.Operate");

        var result = await _cli.RunAsync("operations", "start", "launch", "--emulator", "lab/host-1/0", "-p", "bogus=1", "-p", "title=a\"b");

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.StartsWith("error: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("parameters.bogus: Unknown parameter.", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("HTTP 400", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task NotFoundAndForbidden_HaveClearMessagesAndExitCodes()
    {
        await LoginAsync("Fleet.Read");

        var missing = await _cli.RunAsync("operations", "show", new string('a', 32));
        var forbidden = await _cli.RunAsync("batches", "start", "status", "--site", "lab");

        Assert.True(missing.ExitCode == 4, missing.ToString());
        Assert.Contains("error: Operation not found", missing.Stderr, StringComparison.Ordinal);
        Assert.True(forbidden.ExitCode == 3, forbidden.ToString());
        Assert.Contains("HTTP 403", forbidden.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotLoggedInOrWrongKey_ExitsWithAuthCode()
    {
        await _cli.RunAsync("config", "set", "local", "--url", _fleet.ApiUrl);
        var notLoggedIn = await _cli.RunAsync("sites", "list");

        var otherKey = Path.Combine(_cli.Home, "other.key");
        await File.WriteAllTextAsync(otherKey, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        await _cli.RunAsync("login", "--dev", "--key-file", otherKey);
        var rejected = await _cli.RunAsync("sites", "list");

        Assert.True(notLoggedIn.ExitCode == 3, notLoggedIn.ToString());
        Assert.Contains("ldfleet login --dev", notLoggedIn.Stderr, StringComparison.Ordinal);
        Assert.True(rejected.ExitCode == 3, rejected.ToString());
        Assert.Contains("HTTP 401", rejected.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Profiles_SwitchBetweenDeployments()
    {
        var lab = await _cli.RunAsync("config", "set", "lab", "--url", _fleet.ApiUrl);
        Assert.True(lab.ExitCode == 0, lab.ToString());
        Assert.Equal(0, (await _cli.RunAsync("login", "--dev", "--key-file", _fleet.KeyFile, "--role", "Fleet.Read")).ExitCode);
        var offline = await _cli.RunAsync("config", "set", "offline", "--url", $"http://127.0.0.1:{FreePort.Next()}");
        Assert.True(offline.ExitCode == 0, offline.ToString());
        Assert.Equal(0, (await _cli.RunAsync("login", "--dev", "--key-file", _fleet.KeyFile, "--profile", "offline")).ExitCode);

        var onLab = await _cli.RunAsync("emulators", "list", "--site", FleetFixture.SiteId);
        var use = await _cli.RunAsync("config", "use", "offline");
        var onOffline = await _cli.RunAsync("sites", "list");
        var byOption = await _cli.RunAsync("sites", "list", "--profile", "lab");
        var byVariable = await _cli.RunAsync(["sites", "list"], new Dictionary<string, string?> { ["LDFLEET_PROFILE"] = "lab" });
        var unknown = await _cli.RunAsync("sites", "list", "--profile", "nope");
        var list = await _cli.RunAsync("config", "list");

        Assert.True(onLab.ExitCode == 0, onLab.ToString());
        Assert.Contains("lab/host-1/0", onLab.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, use.ExitCode);
        Assert.True(onOffline.ExitCode == 5, onOffline.ToString());
        Assert.Contains("Cannot reach the API", onOffline.Stderr, StringComparison.Ordinal);
        Assert.True(byOption.ExitCode == 0, byOption.ToString());
        Assert.True(byVariable.ExitCode == 0, byVariable.ToString());
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("Profiles: lab, offline", unknown.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"\*\s+offline", list.Stdout);
    }

    [Fact]
    public async Task AppsUpload_StoresTheApkByContentHash()
    {
        await LoginAsync("Fleet.Operate");
        var apk = Path.Combine(_cli.Home, "demo.apk");
        using (var zip = ZipFile.Open(apk, ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(zip.CreateEntry("AndroidManifest.xml").Open());
            await writer.WriteAsync($"<manifest package=\"dev.ldfleet.cli{Guid.NewGuid():N}\"/>");
        }

        var expected = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(apk)));
        var upload = await _cli.RunAsync("apps", "upload", apk, "--json");
        var again = await _cli.RunAsync("apps", "upload", apk);

        Assert.True(upload.ExitCode == 0, upload.ToString());
        Assert.Equal(expected, JsonDocument.Parse(upload.Stdout).RootElement.GetProperty("sha256").GetString());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains(expected, again.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("login")]
    [InlineData("config")]
    [InlineData("sites")]
    [InlineData("hosts")]
    [InlineData("emulators")]
    [InlineData("operations")]
    [InlineData("operations start")]
    [InlineData("batches")]
    [InlineData("batches watch")]
    [InlineData("apps")]
    [InlineData("audit")]
    public async Task Help_EveryCommandGroup_PrintsUsage(string command)
    {
        var result = await _cli.RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"ldfleet {command}".TrimEnd(), result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EntraProfileWithoutItsSettings_LoginSaysWhatIsMissing()
    {
        await _cli.RunAsync("config", "set", "prod", "--url", "https://ldfleet.invalid", "--auth", "entra");

        var login = await _cli.RunAsync("login");

        Assert.True(login.ExitCode == 2, login.ToString());
        Assert.Contains("--tenant", login.Stderr, StringComparison.Ordinal);
        Assert.Contains("--client-id", login.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsageErrors_ExitTwoWithAPointerToHelp()
    {
        var unknown = await _cli.RunAsync("emulators", "lisst");
        var badEmulator = await _cli.RunAsync("operations", "start", "launch", "--emulator", "lab-host-1");

        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("ldfleet emulators --help", unknown.Stderr, StringComparison.Ordinal);
        Assert.True(badEmulator.ExitCode == 2, badEmulator.ToString());
        Assert.Contains("site/host/index", badEmulator.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hosts_ShowAndList_IncludeTheRelaysCircuit()
    {
        await LoginAsync("Fleet.Read");
        await Poll.UntilAsync(
            async () => (await _fleet.Api.GetFromJsonAsync<JsonElement>(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/host-1", UriKind.Relative))).GetProperty("circuit").ValueKind,
            kind => kind == JsonValueKind.Object,
            TimeSpan.FromSeconds(30),
            "a heartbeat with circuits");

        var show = await _cli.RunAsync("hosts", "show", FleetFixture.SiteId, "host-1");
        var list = await _cli.RunAsync("hosts", "list", FleetFixture.SiteId);
        var json = await _cli.RunAsync("hosts", "show", FleetFixture.SiteId, "host-1", "--json");

        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Matches(@"circuit\s+state=closed, since=\S+, consecutiveFailures=0, reportedAt=", show.Stdout);
        Assert.DoesNotContain("null", show.Stdout, StringComparison.Ordinal);
        Assert.Contains("CIRCUIT", list.StdoutLines[0], StringComparison.Ordinal);
        Assert.Contains(list.StdoutLines, l => l.Contains("host-1", StringComparison.Ordinal) && l.Contains("closed", StringComparison.Ordinal));
        Assert.Equal("closed", JsonDocument.Parse(json.Stdout).RootElement.GetProperty("circuit").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Json_ChineseText_IsPrintedAsIsNotEscaped()
    {
        await LoginAsync("Fleet.Admin");
        var site = "zh-" + Guid.NewGuid().ToString("N")[..8];

        var register = await _cli.RunAsync("sites", "register", site, "--display-name", "雷电实验室");
        var show = await _cli.RunAsync("sites", "show", site, "--json");

        Assert.True(register.ExitCode == 0, register.ToString());
        Assert.True(show.ExitCode == 0, show.ToString());
        foreach (var stdout in new[] { register.Stdout, show.Stdout })
        {
            Assert.Contains("\"displayName\": \"雷电实验室\"", stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("\\u", stdout, StringComparison.Ordinal);
        }

        Assert.Equal("雷电实验室", JsonDocument.Parse(show.Stdout).RootElement.GetProperty("displayName").GetString());
    }
}
