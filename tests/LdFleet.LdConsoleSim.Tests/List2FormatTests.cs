using System.Text;
using LdFleet.LdConsoleSim.Tests.Infrastructure;

namespace LdFleet.LdConsoleSim.Tests;

public sealed class List2FormatTests
{
    [Fact]
    public void Ld9_prints_ten_columns_crlf_terminated_including_last_line()
    {
        using var home = SimHome.Init(3, "LD9");

        var result = home.Run("list2");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            "0,LDPlayer,0,0,0,-1,-1,1280,720,240\r\n" +
            "1,LDPlayer-1,0,0,0,-1,-1,1280,720,240\r\n" +
            "2,LDPlayer-2,0,0,0,-1,-1,1280,720,240\r\n",
            result.Stdout);
    }

    [Fact]
    public void Ld14_prints_ten_columns_with_its_default_dpi()
    {
        using var home = SimHome.Init(1, "LD14");

        Assert.Equal("0,LDPlayer,0,0,0,-1,-1,1280,720,280\r\n", home.Run("list2").Stdout);
    }

    [Fact]
    public void Ld4_prints_seven_columns()
    {
        using var home = SimHome.Init(2, "LD4");

        Assert.Equal("0,LDPlayer,0,0,0,-1,-1\r\n1,LDPlayer-1,0,0,0,-1,-1\r\n", home.Run("list2").Stdout);
    }

    [Fact]
    public void Profile_environment_variable_overrides_settings()
    {
        using var home = SimHome.Init(1, "LD9");

        var result = home.RunWithEnv(new Dictionary<string, string> { ["LDSIM_PROFILE"] = "LD4" }, "list2");

        Assert.Equal("0,LDPlayer,0,0,0,-1,-1\r\n", result.Stdout);
    }

    [Fact]
    public void Gbk_encoding_writes_chinese_titles_as_code_page_936_bytes()
    {
        using var home = SimHome.Init(2, "LD9", extra: ["--encoding", "gbk", "--title-prefix", "雷电模拟器"]);

        var bytes = home.Run("list2").StdoutBytes;

        byte[] gbkTitle = [0xC0, 0xD7, 0xB5, 0xE7, 0xC4, 0xA3, 0xC4, 0xE2, 0xC6, 0xF7];
        byte[] expectedFirstRow = [.. "0,"u8, .. gbkTitle, .. ",0,0,0,-1,-1,1280,720,240\r\n"u8];
        Assert.Equal(expectedFirstRow, bytes[..expectedFirstRow.Length]);
        byte[] expectedSecondRow = [.. "1,"u8, .. gbkTitle, .. "-1,0,0,0,-1,-1,1280,720,240\r\n"u8];
        Assert.Equal(expectedSecondRow, bytes[expectedFirstRow.Length..]);
        Assert.Throws<DecoderFallbackException>(() => new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes));
    }

    [Fact]
    public void Gbk_applies_to_error_text_and_list_as_well()
    {
        using var home = SimHome.Init(1, "LD9", extra: ["--encoding", "gbk", "--title-prefix", "雷电模拟器"]);

        byte[] expected = [0xC0, 0xD7, 0xB5, 0xE7, 0xC4, 0xA3, 0xC4, 0xE2, 0xC6, 0xF7, 0x0D, 0x0A];
        Assert.Equal(expected, home.Run("list").StdoutBytes);
    }

    [Fact]
    public void Utf8_encoding_writes_utf8_titles()
    {
        using var home = SimHome.Init(1, "LD9", extra: ["--title-prefix", "雷电模拟器"]);

        var result = home.Run("list2");

        Assert.Equal("0,雷电模拟器,0,0,0,-1,-1,1280,720,240\r\n", result.Stdout);
    }

    [Fact]
    public void Titles_may_contain_commas_and_spaces()
    {
        using var home = SimHome.Init(1, "LD9");
        Assert.Equal(0, home.Run("rename", "--index", "0", "--title", "farm, bot 1").ExitCode);

        Assert.Equal("0,farm, bot 1,0,0,0,-1,-1,1280,720,240\r\n", home.Run("list2").Stdout);
        Assert.Equal("farm, bot 1\r\n", home.Run("list").Stdout);
    }

    [Fact]
    public void List_and_runninglist_print_titles_one_per_crlf_line()
    {
        using var home = SimHome.Init(3, "LD9");
        home.Run("launch", "--index", "2");

        Assert.Equal("LDPlayer\r\nLDPlayer-1\r\nLDPlayer-2\r\n", home.Run("list").Stdout);
        Assert.Equal("LDPlayer-2\r\n", home.Run("runninglist").Stdout);
    }

    [Fact]
    public void Empty_install_prints_nothing()
    {
        using var home = SimHome.Create();

        var result = home.Run("list2");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.StdoutBytes);
    }
}
