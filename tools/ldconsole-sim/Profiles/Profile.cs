using LdFleet.LdConsoleSim.Cli;

namespace LdFleet.LdConsoleSim.Profiles;

/// <summary>Everything that differs between LDPlayer generations, in one place.</summary>
internal sealed class Profile
{
    private static readonly int[] Ld4Memory = [512, 1024, 2048, 4096, 8192];
    private static readonly int[] Ld9Memory = [256, 512, 768, 1024, 1536, 2048, 4096, 8192];

    private Profile(ProfileKind kind)
    {
        Kind = kind;
    }

    public ProfileKind Kind { get; }

    /// <summary>§3.1: LD3/LD4 print 7 columns, LD9 and LD14 add width,height,dpi.</summary>
    public int List2Columns => Kind == ProfileKind.LD4 ? 7 : 10;

    /// <summary>§3.3: only the LD14-era fixture ends <c>isrunning</c> with CRLF.</summary>
    public string IsRunningTerminator => Kind == ProfileKind.LD14 ? "\r\n" : string.Empty;

    /// <summary>
    /// §2.2: old scripts compare the raw stdout of LD3/LD4 with the bare <c>player don't exist!</c>,
    /// while §3.5 says LD9/LD14 error text is CRLF-terminated.
    /// </summary>
    public string ErrorTerminator => Kind == ProfileKind.LD4 ? string.Empty : "\r\n";

    /// <summary>
    /// §3.4: LD4's adb shell output arrives as <c>\r\r\n</c> (pty CRLF plus ldconsole's text-mode
    /// stdout). Newer adb has no pty for non-interactive shells, leaving only the text-mode CRLF.
    /// </summary>
    public string AdbLineEnding => Kind == ProfileKind.LD4 ? "\r\r\n" : "\r\n";

    /// <summary>§1.1 banner first line.</summary>
    public string BannerFirstLine => Kind == ProfileKind.LD14
        ? "ldplayer v14.0.29.0 Command Line Management Interface"
        : "dnplayer Command Line Management Interface";

    /// <summary>§2.3 modify --memory: the official excerpt for LD4, androtools' LD9 help text otherwise.</summary>
    public IReadOnlyList<int> MemoryValues => Kind == ProfileKind.LD4 ? Ld4Memory : Ld9Memory;

    /// <summary>§2.3 modify --root is not available on LD4 and older, so it is an unknown (ignored) option there.</summary>
    public bool SupportsRoot => Kind != ProfileKind.LD4;

    /// <summary>Resolution shown in list2 when the config has none (§4.2: fresh <c>add</c> configs lack advancedSettings).</summary>
    public (int Width, int Height, int Dpi) DefaultResolution => Kind switch
    {
        ProfileKind.LD4 => (960, 540, 240),
        ProfileKind.LD9 => (1280, 720, 240),
        _ => (1280, 720, 280),
    };

    public string AndroidRelease => Kind switch
    {
        ProfileKind.LD4 => "7.1.2",
        ProfileKind.LD9 => "9",
        _ => "14",
    };

    public string SdkLevel => Kind switch
    {
        ProfileKind.LD4 => "25",
        ProfileKind.LD9 => "28",
        _ => "34",
    };

    public static Profile For(ProfileKind kind) => new(kind);

    /// <summary>What a command prints and returns when its instance does not exist (§2.2 table).</summary>
    public MissingOutcome MissingInstance(string command)
    {
        switch (command.ToLowerInvariant())
        {
            case "launch":
            case "launchex":
                // LD14 dumps the usage text; older builds print exactly "player don't exist!".
                return Kind == ProfileKind.LD14
                    ? new(MissingReaction.Usage, ExitCodes.PlayerNotExist)
                    : new(MissingReaction.PlayerNotExist, ExitCodes.PlayerNotExist);
            case "quit":
            case "reboot":
            case "rename":
                return new(MissingReaction.PlayerNotExist, ExitCodes.PlayerNotExist);
            case "remove":
                // androtools quotes −617 for remove on LD9; nobody reported another value.
                return new(MissingReaction.PlayerNotExist, ExitCodes.RemoveMissing);
            case "copy":
                // LD14: text and rc 0. LD9 (and, by assumption, LD4): usage text and −616.
                return Kind == ProfileKind.LD14
                    ? new(MissingReaction.PlayerNotExist, ExitCodes.Success)
                    : new(MissingReaction.Usage, ExitCodes.CopyMissing);
            case "modify":
                return new(MissingReaction.Silent, ExitCodes.Success);
            default:
                // runapp's LD14 behaviour (text, rc 0) extended to every guest/app command.
                return new(MissingReaction.PlayerNotExist, ExitCodes.Success);
        }
    }
}
