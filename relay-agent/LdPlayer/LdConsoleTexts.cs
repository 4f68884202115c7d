namespace LdFleet.Relay.LdPlayer;

/// <summary>The fixed English texts ldconsole prints (reference §2.2, §3.5); they matter more than its exit codes.</summary>
internal static class LdConsoleTexts
{
    public const string PlayerNotFound = "player don't exist!";
    public const string ParameterError = "parameter error!";
    public const string UsageBanner = "Command Line Management Interface";

    /// <summary>adb's prefix for "device not found / offline" when a guest command hits a stopped or booting emulator.</summary>
    public const string AdbError = "error:";
}

/// <summary>Stable error codes the relay reports; clients and workflows switch on these.</summary>
internal static class DriverErrors
{
    public const string PlayerNotFound = "PlayerNotFound";
    public const string ParameterError = "ParameterError";
    public const string InvalidArgument = "InvalidArgument";
    public const string Rejected = "Rejected";
    public const string Timeout = "Timeout";
    public const string NoEffect = "NoEffect";
    public const string NotRunning = "NotRunning";
    public const string UnexpectedOutput = "UnexpectedOutput";
    public const string ListUnreadable = "ListUnreadable";
    public const string LdConsoleNotRunnable = "LdConsoleNotRunnable";
    public const string BootTimeout = "BootTimeout";
    /// <summary>Interrupted, and list2 shows the effect did not happen: safe to try again.</summary>
    public const string Interrupted = "Interrupted";

    /// <summary>Interrupted, and list2 cannot tell whether the effect happened: not safe to repeat blindly.</summary>
    public const string InterruptedOutcomeUnknown = "InterruptedOutcomeUnknown";
    public const string HostUnreachable = "HostUnreachable";
}
