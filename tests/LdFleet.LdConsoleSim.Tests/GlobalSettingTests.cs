using System.Text.Json.Nodes;
using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class GlobalSettingTests
{
    private static JsonObject GlobalConfig(SimHome home) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(home.Root, "vms", "config", "leidians.config")))!;

    [Fact]
    public void Globalsetting_writes_leidians_config()
    {
        using var home = SimHome.Init(1, "LD9");

        var result = home.Run("globalsetting", "--fps", "30", "--audio", "0", "--fastplay", "1", "--cleanmode", "1");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.StdoutBytes);
        var global = GlobalConfig(home);
        Assert.Equal(30, global["framesPerSecond"]!.GetValue<int>());
        Assert.True(global["reduceAudio"]!.GetValue<bool>());
        Assert.True(global["fastPlay"]!.GetValue<bool>());
        Assert.True(global["cleanMode"]!.GetValue<bool>());
        Assert.Equal(5, global["batchStartInterval"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("--fps", "61")]
    [InlineData("--fps", "-1")]
    [InlineData("--audio", "2")]
    public void Out_of_range_values_are_parameter_errors(string option, string value)
    {
        using var home = SimHome.Init(1, "LD9");

        var result = home.Run("globalsetting", option, value);

        Assert.Equal("parameter error!\r\n", result.Stdout);
        Assert.Equal(60, GlobalConfig(home)["framesPerSecond"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("sortWnd")]
    [InlineData("sortwnd")]
    [InlineData("zoomIn")]
    public void Window_commands_are_silent_no_ops(string command)
    {
        using var home = SimHome.Init(1, "LD9");

        var result = home.Run(command);

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.StdoutBytes);
    }
}
