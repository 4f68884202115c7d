using System.Text;
using LdFleet.Relay.LdPlayer;

namespace LdFleet.Relay.Tests.LdPlayer;

public sealed class ConsoleTextTests
{
    [Fact]
    public void Decode_GbkBytes_FallsBackToTheCodePage()
    {
        // 雷电模拟器 in GBK, as LDPlayer prints it on Chinese Windows (reference §3.5).
        byte[] gbk = [0xC0, 0xD7, 0xB5, 0xE7, 0xC4, 0xA3, 0xC4, 0xE2, 0xC6, 0xF7, 0x0D, 0x0A];

        Assert.Equal("雷电模拟器\n", ConsoleText.Decode(gbk, 936));
    }

    [Fact]
    public void Decode_ValidUtf8_StaysUtf8() =>
        Assert.Equal("万龙1号\n", ConsoleText.Decode(Encoding.UTF8.GetBytes("万龙1号\r\n"), 936));

    [Fact]
    public void Decode_AdbDoubleCarriageReturn_IsNormalised() =>
        Assert.Equal("connected\n", ConsoleText.Decode("connected\r\r\n"u8, 936));
}
