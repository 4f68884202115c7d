using CsCheck;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Validation;

namespace LdFleet.Protocol.Tests.Validation;

/// <summary>The shared parameter rules: what the API refuses at the door and the relay before ldconsole runs.</summary>
public sealed class ParameterRulesTests
{
    private static readonly string[] Hostile = ["/", "\\", "..", ":", "*", "\"", "|", "\u202E", "\u200B", "\n", "\uFEFF", "CON"];

    public static TheoryData<string, string, string?, string> Refused => new()
    {
        // The hostile run behind issue 19, and the title cases of issue 17.
        { "title", new string('q', 300), null, "at most 64 characters" },
        { "title", "evil\u202Egnp.exe", null, "bidirectional control" },
        { "title", "../../etc/passwd", null, "file name" },
        { "title", "a\u200Bb", null, "zero-width" },
        { "title", "12345", null, "digits only" },
        { "title", " padded", null, "white space" },
        { "title", "trailing.", null, "dot" },
        { "title", "con", null, "device name" },
        { "key", "x; touch y", EmulatorActions.SetProp, "property name" },
        { "packageName", "../../../../etc/passwd", EmulatorActions.RunApp, "Android package name" },
        { "command", "shell echo 'x'", EmulatorActions.Adb, "quotes" },
        { "command", "shell echo \"x\"", EmulatorActions.Adb, "double quotes" },
        { "apkPath", @"C:\apks\..\evil.apk", EmulatorActions.InstallApp, "'..'" },
        { "apkPath", "relative.apk", EmulatorActions.InstallApp, "absolute path" },
        { "apkPath", @"C:\apks\app.exe", EmulatorActions.InstallApp, ".apk" },
        { "apkPath", @"C:\apks\a:b.apk", EmulatorActions.InstallApp, "':'" },
        { "file", @"\\server\share\*.ldbk", EmulatorActions.Backup, "* ?" },
        { "value", new string('v', 93), EmulatorActions.SetProp, "at most 92" },
        { "value", "call\nx", EmulatorActions.Action, "line break" },
        { "resolution", "1280x720", EmulatorActions.Modify, "width,height,dpi" },
        { "resolution", "50,720,240", EmulatorActions.Modify, "100-7680" },
        { "cpu", "5", EmulatorActions.Modify, "from 1 to 4" },
        { "memory", "1000", EmulatorActions.Modify, "one of 256" },
        { "imei", "12345678901234x", EmulatorActions.Modify, "15 digits" },
        { "imei", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥", EmulatorActions.Modify, "15 digits" },
        { "mac", "00:DB:48:FD:62:70", EmulatorActions.Modify, "12 hexadecimal" },
        { "phoneNumber", "call me", EmulatorActions.Modify, "3 to 20 digits" },
        { "root", "yes", EmulatorActions.Modify, "true or false" },
        { "longitude", "181", EmulatorActions.Locate, "from -180 to 180" },
        { "latitude", "NaN", EmulatorActions.Locate, "from -90 to 90" },
        { "rate", "101", EmulatorActions.DownCpu, "from 0 to 100" },
        { "fps", "120", EmulatorActions.GlobalSetting, "from 0 to 60" },
        { "timeout", "0", EmulatorActions.WaitBooted, "from 1 to 3600" },
        { "manufacturer", "asus\u2066", EmulatorActions.Modify, "bidirectional" },
        { "anything", "x\u0000y", null, "control character" },
    };

    public static TheoryData<string, string, string?> Accepted => new()
    {
        { "title", "雷电模拟器-qa 1", null },
        { "title", "LDPlayer, with comma (2)", null },
        { "title", "emoji 🎮", null },
        { "key", "phone.imei", EmulatorActions.SetProp },
        { "key", "call.keyboard", EmulatorActions.Action },
        { "value", "", EmulatorActions.SetProp },
        { "packageName", "com.example.app_2", EmulatorActions.RunApp },
        { "command", "shell screencap -p | base64", EmulatorActions.Adb },
        { "apkPath", @"C:\apks\shop.apk", EmulatorActions.InstallApp },
        { "apkPath", "/srv/apks/shop.APK", EmulatorActions.InstallApp },
        { "file", @"\\nas\backups\golden.ldbk", EmulatorActions.Restore },
        { "resolution", "1280,720,240", EmulatorActions.Modify },
        { "memory", "2048", EmulatorActions.Modify },
        { "imei", "auto", EmulatorActions.Modify },
        { "imei", "861234567890123", EmulatorActions.Modify },
        { "androidId", "0123456789abcdef", EmulatorActions.Modify },
        { "mac", "00db48fd6270", EmulatorActions.Modify },
        { "phoneNumber", "+8613812345678", EmulatorActions.Modify },
        { "root", "1", EmulatorActions.Modify },
        { "longitude", "-122.4194", EmulatorActions.Locate },
        { "from", "3", EmulatorActions.Copy },
        { "from", "golden image", EmulatorActions.Copy },
        { "timeout", "600", EmulatorActions.WaitBooted },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Check_HostileOrMalformedValue_IsRefusedSayingWhy(string name, string value, string? action, string reason) =>
        Assert.Contains(reason, ParameterRules.Check(name, value, action), StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Accepted))]
    public void Check_OrdinaryValue_IsAccepted(string name, string value, string? action) =>
        Assert.Null(ParameterRules.Check(name, value, action));

    [Fact]
    public void Check_Missing_IsRequired() => Assert.Equal("is required.", ParameterRules.Check("title", null));

    [Theory]
    [InlineData("10.1.2.7", true)]
    [InlineData("10.1.2.7:2222", true)]
    [InlineData("pc-07.lab.local:22", true)]
    [InlineData("[fe80::1]:22", true)]
    [InlineData("[fe80::1]", true)]
    [InlineData("pc-07:0", false)]
    [InlineData("pc-07:65536", false)]
    [InlineData("user@pc-07", false)]
    [InlineData("pc 07", false)]
    [InlineData("-pc", false)]
    [InlineData("http://pc-07", false)]
    [InlineData("[not-an-ip]", false)]
    public void HostAddress_HostNameOrIpWithOptionalPort(string value, bool valid) =>
        Assert.Equal(valid, ParameterRules.HostAddress(value) is null);

    [Fact]
    public void Title_AnyAcceptedTitle_IsSafeToShowAndToUseAsAFileName() =>
        Gen.OneOf(
                Gen.Char["aZ09 ,.-_()"].Select(c => c.ToString()),
                Gen.Char['\u4e00', '\u4fff'].Select(c => c.ToString()),
                Gen.Int[0, 11].Select(i => Hostile[i]))
            .Array[1, 70]
            .Select(pieces => string.Concat(pieces))
            .Sample(title => ParameterRules.Title(title) is not null
                || (title.Length <= ParameterRules.MaxTitleLength
                    && title.IndexOfAny(['/', '\\', ':', '*', '"', '|', '\u202E', '\u200B', '\n', '\uFEFF']) < 0
                    && !title.EndsWith('.')
                    && !title.All(char.IsAsciiDigit)
                    && title.Trim() == title));

    [Fact]
    public void PackageName_AnyAcceptedName_HasNoPathOrShellCharacters() =>
        Gen.String[Gen.Char["abz.Z09_/\\;&|$` '\"-"], 1, 40].Sample(name =>
            ParameterRules.PackageName(name) is not null || name.IndexOfAny(['/', '\\', ';', '&', '|', '$', '`', ' ', '\'', '"', '-']) < 0);
}
