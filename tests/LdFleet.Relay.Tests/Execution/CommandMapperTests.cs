using LdFleet.Protocol.Commands;
using LdFleet.Relay.Execution;
using LdFleet.Relay.LdPlayer.Catalog;

namespace LdFleet.Relay.Tests.Execution;

/// <summary>The relay's last line before a process starts: the shared parameter rules refuse what the API refuses.</summary>
public sealed class CommandMapperTests
{
    public static TheoryData<string, string, string, string> Hostile => new()
    {
        { EmulatorActions.Add, "title", "evil\u202Egnp.exe", "bidirectional control" },
        { EmulatorActions.Rename, "title", "../../etc/passwd", "file name" },
        { EmulatorActions.Add, "title", new string('x', 300), "at most 64" },
        { EmulatorActions.Add, "title", "zero\u200Bwidth", "zero-width" },
        { EmulatorActions.SetProp, "key", "x; touch y", "property name" },
        { EmulatorActions.RunApp, "packageName", "../../../../etc/passwd", "Android package name" },
        { EmulatorActions.Adb, "command", "shell echo 'hi'", "quotes" },
        { EmulatorActions.InstallApp, "apkPath", @"C:\apks\..\..\Windows\evil.apk", "'..'" },
        { EmulatorActions.InstallApp, "apkPath", "app.apk", "absolute path" },
        { EmulatorActions.Backup, "file", @"D:\b.zip", ".ldbk" },
        { EmulatorActions.Modify, "imei", "12345", "15 digits" },
        { EmulatorActions.Modify, "cpu", "8", "from 1 to 4" },
        { EmulatorActions.Action, "value", "line\nbreak", "control character" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileParameter_IsRefusedNamingIt(string action, string parameter, string value, string reason)
    {
        var parameters = new Dictionary<string, string> { [parameter] = value };
        if (action is EmulatorActions.SetProp or EmulatorActions.Action)
        {
            parameters.TryAdd("key", "call.input");
            parameters.TryAdd("value", "v");
        }

        var error = Assert.Throws<LdArgumentException>(() => CommandMapper.Map(Command(action, parameters)));

        Assert.Equal(parameter, error.Parameter);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OrdinaryParameters_BecomeTheirLdConsoleArguments()
    {
        var add = CommandMapper.Map(Command(EmulatorActions.Add, new() { ["title"] = "雷电模拟器-qa 1" }));
        var install = CommandMapper.Map(Command(EmulatorActions.InstallApp, new() { ["apkPath"] = @"C:\apks\shop.apk" }));
        var modify = CommandMapper.Map(Command(EmulatorActions.Modify, new() { ["imei"] = "auto", ["mac"] = "00db48fd6270", ["resolution"] = "1280,720,240" }));

        Assert.Equal(["add", "--name", "雷电模拟器-qa 1"], add.Arguments);
        Assert.Equal(["installapp", "--index", "0", "--filename", @"C:\apks\shop.apk"], install.Arguments);
        Assert.Equal(["modify", "--index", "0", "--resolution", "1280,720,240", "--imei", "auto", "--mac", "00DB48FD6270"], modify.Arguments);
    }

    private static EmulatorCommand Command(string action, Dictionary<string, string> parameters) => new()
    {
        CommandId = "op.1.1",
        OperationId = "op",
        SiteId = "lab",
        HostId = "host-1",
        Action = action,
        Index = EmulatorActions.HostWide.Contains(action) ? null : 0,
        Parameters = parameters,
        IssuedAt = DateTimeOffset.UtcNow,
        DeliverBy = DateTimeOffset.UtcNow.AddMinutes(1),
    };
}
