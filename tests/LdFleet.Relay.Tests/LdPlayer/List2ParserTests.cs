using LdFleet.Relay.LdPlayer;

namespace LdFleet.Relay.Tests.LdPlayer;

public sealed class List2ParserTests
{
    [Fact]
    public void TryParse_TenColumnRunningRow_ReadsEveryField()
    {
        Assert.True(List2Parser.TryParse("0,雷电模拟器,28053900,42935798,1,59776,36816,1280,720,240\n", out var emulators, out _));

        var e = Assert.Single(emulators);
        Assert.Equal(new EmulatorInfo(0, "雷电模拟器", 28053900, 42935798, 1, 59776, 36816, 1280, 720, 240), e);
        Assert.True(e.IsStarted);
        Assert.True(e.IsAndroidStarted);
    }

    [Fact]
    public void TryParse_SevenColumnRows_HaveNoResolution()
    {
        Assert.True(List2Parser.TryParse("0,LDPlayer,2032678,1704928,1,7456,3500\n1,LDPlayer-1,0,0,0,-1,-1\n", out var emulators, out _));

        Assert.Equal(2, emulators.Count);
        Assert.Null(emulators[0].Width);
        Assert.False(emulators[1].IsStarted);
    }

    [Theory]
    [InlineData("3,a,b,0,0,0,-1,-1,1280,720,240", "a,b")]
    [InlineData("3,,,0,0,0,-1,-1,1280,720,240", ",")]
    [InlineData("3,1,2,3,0,0,0,-1,-1,540,960,240", "1,2,3")]
    [InlineData("3,x,0,0,0,-1,-1", "x")]
    public void TryParse_TitlesWithCommas_AreRejoined(string line, string title)
    {
        Assert.True(List2Parser.TryParse(line, out var emulators, out var error), error);
        Assert.Equal(title, Assert.Single(emulators).Title);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("0,a,b,c")]
    [InlineData("x,LDPlayer,0,0,0,-1,-1")]
    [InlineData("0,LDPlayer,0,0,zero,-1,-1")]
    [InlineData("-1,LDPlayer,0,0,0,-1,-1")]
    [InlineData("0,LDPlayer,0,0,0,-1,99999999999")]
    public void TryParse_Garbage_ReturnsErrorWithoutThrowing(string text)
    {
        Assert.False(List2Parser.TryParse(text, out var emulators, out var error));
        Assert.Empty(emulators);
        Assert.Contains("line 1", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_EmptyOutput_IsAnEmptyList()
    {
        Assert.True(List2Parser.TryParse("", out var emulators, out _));
        Assert.Empty(emulators);
    }
}
