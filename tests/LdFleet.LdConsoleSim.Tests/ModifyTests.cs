using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class ModifyTests : IClassFixture<SharedHomes>
{
    private readonly SharedHomes _homes;

    public ModifyTests(SharedHomes homes)
    {
        _homes = homes;
    }

    [Fact]
    public void Writes_the_flat_dotted_config_keys_immediately()
    {
        using var home = SimHome.Init(1, "LD9");

        var result = home.Run(
            "modify", "--index", "0",
            "--resolution", "540,960,240", "--cpu", "3", "--memory", "1536",
            "--manufacturer", "samsung", "--model", "SM-G9860", "--pnumber", "13812345678",
            "--imei", "865166023949731", "--imsi", "460001234567890", "--simserial", "89860012345678901234",
            "--androidid", "0123456789abcdef", "--mac", "00db48fd6270",
            "--root", "1", "--autorotate", "1", "--lockwindow", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.StdoutBytes);
        var config = home.Config(0);
        Assert.Equal(540, config["advancedSettings.resolution"]!["width"]!.GetValue<int>());
        Assert.Equal(960, config["advancedSettings.resolution"]!["height"]!.GetValue<int>());
        Assert.Equal(240, config["advancedSettings.resolutionDpi"]!.GetValue<int>());
        Assert.Equal(3, config["advancedSettings.cpuCount"]!.GetValue<int>());
        Assert.Equal(1536, config["advancedSettings.memorySize"]!.GetValue<int>());
        Assert.Equal("samsung", config["propertySettings.phoneManufacturer"]!.GetValue<string>());
        Assert.Equal("SM-G9860", config["propertySettings.phoneModel"]!.GetValue<string>());
        Assert.Equal("13812345678", config["propertySettings.phoneNumber"]!.GetValue<string>());
        Assert.Equal("865166023949731", config["propertySettings.phoneIMEI"]!.GetValue<string>());
        Assert.Equal("460001234567890", config["propertySettings.phoneIMSI"]!.GetValue<string>());
        Assert.Equal("89860012345678901234", config["propertySettings.phoneSimSerial"]!.GetValue<string>());
        Assert.Equal("0123456789abcdef", config["propertySettings.phoneAndroidId"]!.GetValue<string>());
        Assert.Equal("00DB48FD6270", config["propertySettings.macAddress"]!.GetValue<string>());
        Assert.True(config["basicSettings.rootMode"]!.GetValue<bool>());
        Assert.True(config["basicSettings.autoRotate"]!.GetValue<bool>());
        Assert.False(config["basicSettings.lockWindow"]!.GetValue<bool>());
        Assert.Equal("0,LDPlayer,0,0,0,-1,-1,540,960,240\r\n", home.Run("list2").Stdout);
    }

    [Fact]
    public void Auto_generates_well_formed_identities()
    {
        using var home = SimHome.Init(1, "LD9");

        home.Run("modify", "--index", "0", "--imei", "auto", "--imsi", "auto", "--simserial", "auto", "--androidid", "auto", "--mac", "auto");

        var config = home.Config(0);
        Assert.Matches("^[0-9]{15}$", config["propertySettings.phoneIMEI"]!.GetValue<string>());
        Assert.Matches("^[0-9]{15}$", config["propertySettings.phoneIMSI"]!.GetValue<string>());
        Assert.Matches("^[0-9]{20}$", config["propertySettings.phoneSimSerial"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{16}$", config["propertySettings.phoneAndroidId"]!.GetValue<string>());
        Assert.Matches("^[0-9A-F]{12}$", config["propertySettings.macAddress"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("--cpu", "5")]
    [InlineData("--cpu", "0")]
    [InlineData("--memory", "100")]
    [InlineData("--memory", "3000")]
    [InlineData("--resolution", "1280,720")]
    [InlineData("--resolution", "a,b,c")]
    [InlineData("--imei", "12345")]
    [InlineData("--imsi", "46000123456789x")]
    [InlineData("--simserial", "8986001234567890123")]
    [InlineData("--androidid", "0123456789abcdeg")]
    [InlineData("--mac", "00:DB:48:FD:62:70")]
    [InlineData("--root", "2")]
    [InlineData("--autorotate", "yes")]
    [InlineData("--lockwindow", "")]
    public void Bad_values_print_parameter_error_and_write_nothing(string option, string value)
    {
        var home = _homes.For("LD9");
        var before = home.Config(0).ToJsonString();

        var result = home.Run("modify", "--index", "0", "--cpu", "1", option, value);

        Assert.Equal("parameter error!\r\n", result.Stdout);
        Assert.Equal(SimResult.Os(-5), result.ExitCode);
        Assert.Equal(-5, home.Journal()[^1]["exitCode"]!.GetValue<int>());
        Assert.Equal(before, home.Config(0).ToJsonString());
    }

    [Fact]
    public void Ld4_knows_neither_root_nor_the_newer_memory_sizes()
    {
        using var home = SimHome.Init(1, "LD4");

        var root = home.Run("modify", "--index", "0", "--root", "1");
        var memory = home.Run("modify", "--index", "0", "--memory", "768");

        Assert.Equal(0, root.ExitCode);
        Assert.Empty(root.StdoutBytes);
        Assert.False(home.Config(0)["basicSettings.rootMode"]!.GetValue<bool>());
        Assert.Equal("parameter error!", memory.Stdout);
        Assert.Equal(SimResult.Os(-5), memory.ExitCode);
    }

    [Fact]
    public void Missing_instance_is_silent_and_rc_0()
    {
        using var home = SimHome.Init(1, "LD9");

        var result = home.Run("modify", "--index", "5", "--cpu", "2");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.StdoutBytes);
        Assert.False(home.ConfigExists(5));
    }
}
