using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class ManagementTests
{
    [Fact]
    public void Add_exits_with_the_new_index_and_prints_nothing()
    {
        using var home = SimHome.Init(3, "LD9");

        var first = home.Run("add");
        var second = home.Run("add", "--name", "worker");

        Assert.Equal(3, first.ExitCode);
        Assert.Empty(first.StdoutBytes);
        Assert.Equal(4, second.ExitCode);
        Assert.Equal("LDPlayer\r\nLDPlayer-1\r\nLDPlayer-2\r\nLDPlayer-3\r\nworker\r\n", home.Run("list").Stdout);
        var adds = home.Journal().Where(entry => entry["argv"]![0]!.GetValue<string>() == "add");
        Assert.Equal([3, 4], adds.Select(entry => entry["exitCode"]!.GetValue<int>()));
    }

    [Fact]
    public void Added_config_lacks_advanced_settings_until_modify_writes_them()
    {
        using var home = SimHome.Init(0, "LD14");

        Assert.Equal(0, home.Run("add").ExitCode);

        var config = home.Config(0);
        Assert.Equal("LDPlayer", config["statusSettings.playerName"]!.GetValue<string>());
        Assert.Null(config["advancedSettings.resolution"]);
        Assert.Null(config["advancedSettings.cpuCount"]);
        Assert.Equal("0,LDPlayer,0,0,0,-1,-1,1280,720,280\r\n", home.Run("list2").Stdout);
        Assert.True(Directory.Exists(Path.Combine(home.Root, "vms", "leidian0")));
    }

    [Fact]
    public void Remove_leaves_holes_and_add_continues_after_the_highest_index()
    {
        using var home = SimHome.Init(3, "LD9");

        var remove = home.Run("remove", "--index", "1");
        Assert.Equal(0, remove.ExitCode);
        Assert.Empty(remove.StdoutBytes);
        Assert.False(home.ConfigExists(1));
        Assert.False(Directory.Exists(Path.Combine(home.Root, "vms", "leidian1")));
        Assert.Equal(["0", "2"], home.List2().Select(row => row[0]));

        Assert.Equal(3, home.Run("add").ExitCode);
        Assert.Equal(["0", "2", "3"], home.List2().Select(row => row[0]));
    }

    [Fact]
    public void Remove_of_a_running_instance_stops_it_first()
    {
        using var home = SimHome.Init(2, "LD9");
        home.Run("launch", "--index", "1");

        Assert.Equal(0, home.Run("remove", "--name", "LDPlayer-1").ExitCode);

        Assert.Equal(["0"], home.List2().Select(row => row[0]));
        Assert.Empty(home.Run("runninglist").StdoutBytes);
        Assert.Equal("stop", home.Run("isrunning", "--index", "1").Stdout);
    }

    [Fact]
    public void Copy_exits_with_the_new_index_and_clones_the_config()
    {
        using var home = SimHome.Init(2, "LD9");
        home.Run("modify", "--index", "1", "--resolution", "720,1280,320", "--cpu", "4");

        var byIndex = home.Run("copy", "--from", "1");
        var byName = home.Run("copy", "--name", "clone", "--from", "LDPlayer");

        Assert.Equal(2, byIndex.ExitCode);
        Assert.Empty(byIndex.StdoutBytes);
        Assert.Equal(3, byName.ExitCode);
        var rows = home.List2();
        Assert.Equal("2,LDPlayer-1-2,0,0,0,-1,-1,720,1280,320", string.Join(',', rows[2]));
        Assert.Equal("3,clone,0,0,0,-1,-1,1280,720,240", string.Join(',', rows[3]));
        Assert.Equal(4, home.Config(2)["advancedSettings.cpuCount"]!.GetValue<int>());
    }

    [Fact]
    public void Copy_works_while_the_source_runs_and_the_copy_is_stopped()
    {
        using var home = SimHome.Init(1, "LD14");
        home.Run("launch", "--index", "0");

        Assert.Equal(1, home.Run("copy", "--from", "0").ExitCode);

        Assert.Equal("stop\r\n", home.Run("isrunning", "--index", "1").Stdout);
        Assert.Equal("running\r\n", home.Run("isrunning", "--index", "0").Stdout);
    }

    [Fact]
    public void Rename_changes_the_title_in_list_and_config()
    {
        using var home = SimHome.Init(2, "LD9");

        var byIndex = home.Run("rename", "--index", "0", "--title", "alpha");
        var byName = home.Run("rename", "--name", "LDPlayer-1", "--title", "beta");
        var byNameAsIndex = home.Run("rename", "--name", "0", "--title", "gamma");

        Assert.All([byIndex, byName, byNameAsIndex], result =>
        {
            Assert.Equal(0, result.ExitCode);
            Assert.Empty(result.StdoutBytes);
        });
        Assert.Equal("gamma\r\nbeta\r\n", home.Run("list").Stdout);
        Assert.Equal("beta", home.Config(1)["statusSettings.playerName"]!.GetValue<string>());
    }

    [Fact]
    public void Exit_code_of_add_wraps_past_255_on_linux_but_the_journal_keeps_it()
    {
        using var home = SimHome.Init(256, "LD9");

        var result = home.Run("add");

        Assert.Equal(0, result.ExitCode);
        var entry = home.Journal()[^1];
        Assert.Equal(256, entry["exitCode"]!.GetValue<int>());
        Assert.Equal(0, entry["osExitCode"]!.GetValue<int>());
        Assert.True(home.ConfigExists(256));
    }
}
