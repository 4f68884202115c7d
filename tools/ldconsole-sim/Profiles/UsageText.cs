namespace LdFleet.LdConsoleSim.Profiles;

/// <summary>
/// The usage text printed for unknown commands and some missing-instance cases. Only the first line
/// is known verbatim (§1.1, §5 #10/#11); the rest is a plausible command summary built from §2.3.
/// </summary>
internal static class UsageText
{
    private const string Selector = "<--name mnq_name | --index mnq_idx>";

    private static readonly string[] Body =
    [
        "Usage: ldconsole <command> [--option value]...",
        string.Empty,
        "    quit " + Selector,
        "    quitall",
        "    launch " + Selector,
        "    launchex " + Selector + " --packagename <apk_package_name>",
        "    reboot " + Selector,
        "    list",
        "    list2",
        "    runninglist",
        "    isrunning " + Selector,
        "    add [--name mnq_name]",
        "    copy [--name mnq_name] --from <mnq_idx | mnq_name>",
        "    remove " + Selector,
        "    rename <--name mnq_name | mnq_idx | --index mnq_idx> --title <mnq_title>",
        "    modify " + Selector,
        "        [--resolution <width,height,dpi>]",
        "        [--cpu <1 | 2 | 3 | 4>]",
        "        [--memory <256 | 512 | 768 | 1024 | 1536 | 2048 | 4096 | 8192>]",
        "        [--manufacturer asus] [--model ASUS_Z00DUO] [--pnumber 13800000000]",
        "        [--imei <auto | 865166023949731>] [--imsi <auto | 460000000000000>]",
        "        [--simserial <auto | 89860000000000000000>] [--androidid <auto | 0123456789abcdef>]",
        "        [--mac <auto | 000000000000>] [--root <1 | 0>] [--autorotate <1 | 0>] [--lockwindow <1 | 0>]",
        "    installapp " + Selector + " --filename <apk_file_name>",
        "    installapp " + Selector + " --packagename <apk_package_name>",
        "    uninstallapp " + Selector + " --packagename <apk_package_name>",
        "    runapp " + Selector + " --packagename <apk_package_name>",
        "    killapp " + Selector + " --packagename <apk_package_name>",
        "    locate " + Selector + " --LLI <Lng,Lat>",
        "    adb " + Selector + " --command <cmd>",
        "    setprop " + Selector + " --key <name> --value <val>",
        "    getprop " + Selector + " [--key <name>]",
        "    downcpu " + Selector + " --rate <0 ~ 100>",
        "    backup " + Selector + " --file <file_path.ldbk>",
        "    restore " + Selector + " --file <file_path.ldbk>",
        "    action " + Selector + " --key <name> --value <val>",
        "    scan " + Selector + " --file <file_path>",
        "    pull " + Selector + " --remote <path> --local <path>",
        "    push " + Selector + " --remote <path> --local <path>",
        "    sortWnd",
        "    globalsetting [--fps <0 ~ 60>] [--audio <1 | 0>] [--fastplay <1 | 0>] [--cleanmode <1 | 0>]",
    ];

    /// <summary>CRLF-terminated lines, including the last one (§3.5).</summary>
    public static string For(Profile profile) =>
        profile.BannerFirstLine + "\r\n" + string.Join("\r\n", Body) + "\r\n";
}
