using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class SimCommandTests
{
    [Fact]
    public void Sim_state_reports_settings_and_derived_phases()
    {
        using var home = SimHome.Init(2, "LD14", bootDelayMs: 600_000, adbDelayMs: 300_000, extra: ["--encoding", "gbk"]);
        home.Run("launch", "--index", "1");

        var booting = home.State();
        Assert.Equal("LD14", booting["profile"]!.GetValue<string>());
        Assert.Equal("gbk", booting["encoding"]!.GetValue<string>());
        Assert.Equal(600_000, booting["bootDelayMs"]!.GetValue<int>());
        Assert.Equal("booting", booting["instances"]![1]!["phase"]!.GetValue<string>());
        Assert.Equal("emulator-5556", booting["instances"]![1]!["adbSerial"]!.GetValue<string>());

        home.Advance(600_000);
        Assert.Equal("android-started", home.InstanceState(1)["phase"]!.GetValue<string>());
        home.Advance(300_000);
        Assert.Equal("ready", home.InstanceState(1)["phase"]!.GetValue<string>());
        Assert.Equal(900_000, home.State()["clockOffsetMs"]!.GetValue<long>());
    }

    [Fact]
    public void Boot_delay_environment_variable_overrides_settings_at_launch()
    {
        using var home = SimHome.Init(1, "LD9", adbDelayMs: 0);

        home.RunWithEnv(new Dictionary<string, string> { ["LDSIM_BOOT_DELAY_MS"] = "100" }, "launch", "--index", "0");
        home.Advance(100);

        Assert.Equal("1", home.List2()[0][4]);
    }

    [Fact]
    public void Data_folder_has_the_layout_of_a_real_install()
    {
        using var home = SimHome.Init(2, "LD9");

        Assert.True(File.Exists(Path.Combine(home.Root, "vms", "config", "leidian0.config")));
        Assert.True(File.Exists(Path.Combine(home.Root, "vms", "config", "leidian1.config")));
        Assert.True(File.Exists(Path.Combine(home.Root, "vms", "config", "leidians.config")));
        Assert.True(Directory.Exists(Path.Combine(home.Root, "vms", "leidian1")));
        Assert.True(File.Exists(Path.Combine(home.Root, "sim", "settings.json")));
        var config = home.Config(1);
        Assert.Equal("LDPlayer-1", config["statusSettings.playerName"]!.GetValue<string>());
        Assert.Equal(1280, config["advancedSettings.resolution"]!["width"]!.GetValue<int>());
        Assert.Equal(2, config["advancedSettings.cpuCount"]!.GetValue<int>());
        Assert.Equal(2048, config["advancedSettings.memorySize"]!.GetValue<int>());
    }
}
