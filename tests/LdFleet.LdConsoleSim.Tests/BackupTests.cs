using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class BackupTests
{
    [Fact]
    public void Backup_then_restore_round_trips_config_and_packages()
    {
        using var home = SimHome.Init(1, "LD9", bootDelayMs: 0, adbDelayMs: 0);
        home.Run("modify", "--index", "0", "--cpu", "3", "--memory", "4096", "--resolution", "720,1280,320");
        home.Run("launch", "--index", "0");
        home.Run("installapp", "--index", "0", "--packagename", "com.store.app");
        home.Run("quit", "--index", "0");
        var file = Path.Combine(home.Root, "backups", "bot0.ldbk");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);

        var backup = home.Run("backup", "--index", "0", "--file", file);

        Assert.Equal(0, backup.ExitCode);
        Assert.Empty(backup.StdoutBytes);
        var document = JsonNode.Parse(File.ReadAllText(file))!;
        Assert.Equal(3, document["config"]!["advancedSettings.cpuCount"]!.GetValue<int>());

        home.Run("modify", "--index", "0", "--cpu", "1", "--resolution", "1280,720,240");
        home.Run("launch", "--index", "0");
        home.Run("uninstallapp", "--index", "0", "--packagename", "com.store.app");

        var restore = home.Run("restore", "--index", "0", "--file", file);

        Assert.Equal(0, restore.ExitCode);
        Assert.Empty(restore.StdoutBytes);
        Assert.Equal(3, home.Config(0)["advancedSettings.cpuCount"]!.GetValue<int>());
        Assert.Equal("0,LDPlayer,0,0,0,-1,-1,720,1280,320\r\n", home.Run("list2").Stdout);
        Assert.Equal("com.store.app", home.InstanceState(0)["packages"]![0]!.GetValue<string>());
    }

    [Theory]
    [InlineData("backup", "bot0.zip")]
    [InlineData("restore", "bot0.zip")]
    [InlineData("restore", "absent.ldbk")]
    public void Wrong_extension_or_missing_file_is_a_parameter_error(string command, string fileName)
    {
        using var home = SimHome.Init(1, "LD9");

        var result = home.Run(command, "--index", "0", "--file", Path.Combine(home.Root, fileName));

        Assert.Equal("parameter error!\r\n", result.Stdout);
        Assert.Equal(SimResult.Os(-5), result.ExitCode);
        Assert.False(File.Exists(Path.Combine(home.Root, "bot0.zip")));
    }

    [Fact]
    public void Restore_keeps_the_target_title()
    {
        using var home = SimHome.Init(2, "LD9");
        var file = Path.Combine(home.Root, "one.ldbk");
        home.Run("backup", "--index", "1", "--file", file);

        home.Run("restore", "--index", "0", "--file", file);

        Assert.Equal("LDPlayer\r\nLDPlayer-1\r\n", home.Run("list").Stdout);
    }
}
