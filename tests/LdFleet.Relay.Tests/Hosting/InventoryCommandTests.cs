using System.Diagnostics;
using System.Text.Json;
using LdFleet.Testing;

namespace LdFleet.Relay.Tests.Hosting;

/// <summary><c>LdFleet.Relay inventory</c> as operators run it: the real binary, the simulator behind it.</summary>
public sealed class InventoryCommandTests
{
    [Fact]
    public async Task Inventory_PrintsEveryHostsEmulatorsAsJson()
    {
        using var one = await SimulatedHost.CreateAsync("host-1", 2, encoding: "gbk");
        using var two = await SimulatedHost.CreateAsync("host-2", 1);
        await one.RunAsync("launch", "--index", "1");

        var (exit, stdout, stderr) = await RunAsync(Config(one, 0), Config(two, 1));

        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var hosts = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(["host-1", "host-2"], hosts.Select(h => h.GetProperty("hostId").GetString()));
        var emulators = hosts[0].GetProperty("emulators").EnumerateArray().ToList();
        Assert.Equal(2, emulators.Count);
        Assert.Equal("LDPlayer-1", emulators[1].GetProperty("title").GetString());
        Assert.NotEqual("stopped", emulators[1].GetProperty("state").GetString());
        Assert.True(emulators[1].GetProperty("playerPid").GetInt32() > 0);
        Assert.Equal(1280, emulators[1].GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task Inventory_ChineseTitles_ArePrintedAsIs()
    {
        using var gbk = await SimulatedHost.CreateAsync("host-1", 2, encoding: "gbk");
        await gbk.RunAsync("rename", "--index", "1", "--title", "雷电模拟器-1");

        var (exit, stdout, stderr) = await RunAsync(Config(gbk, 0), ["--Relay:Hosts:0:OutputEncoding=Ansi"]);

        Assert.True(exit == 0, stderr);
        Assert.Contains("\"title\": \"雷电模拟器-1\"", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", stdout, StringComparison.Ordinal);
        Assert.Equal("雷电模拟器-1", JsonDocument.Parse(stdout).RootElement[0].GetProperty("emulators")[1].GetProperty("title").GetString());
    }

    [Fact]
    public async Task Inventory_BadConfiguration_ExplainsAndExits2()
    {
        var (exit, _, stderr) = await RunAsync(["--Relay:SiteId=Bad Site", "--Relay:Hosts:0:Id=host-1", "--Relay:Hosts:0:LdConsolePath=/nope/ldconsole.exe"]);

        Assert.Equal(2, exit);
        Assert.Contains("Relay:SiteId", stderr, StringComparison.Ordinal);
        Assert.Contains("no file at '/nope/ldconsole.exe'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inventory_UnreadableHost_ExitsNonZeroNamingIt()
    {
        using var sim = await SimulatedHost.CreateAsync("host-1", 1);
        await sim.FaultAsync("garbage", "list2");

        var (exit, stdout, stderr) = await RunAsync(Config(sim, 0));

        Assert.Equal(1, exit);
        Assert.Contains("Host host-1:", stderr, StringComparison.Ordinal);
        Assert.Contains("\"error\"", stdout, StringComparison.Ordinal);
    }

    private static string[] Config(SimulatedHost sim, int i) =>
    [
        $"--Relay:Hosts:{i}:Id={sim.Id}",
        $"--Relay:Hosts:{i}:LdConsolePath={RepoPaths.Simulator}",
        $"--Relay:Hosts:{i}:Environment:LDSIM_HOME={sim.Home}",
    ];

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[][] configs)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["exec", RepoPaths.RelayDll, "inventory", "--Relay:SiteId=lab", .. configs.SelectMany(c => c)])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout, await stderr);
    }
}
