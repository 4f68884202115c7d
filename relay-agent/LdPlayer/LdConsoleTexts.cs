namespace LdFleet.Relay.LdPlayer;

/// <summary>The fixed English texts ldconsole prints (reference §2.2, §3.5); they matter more than its exit codes.</summary>
internal static class LdConsoleTexts
{
    public const string PlayerNotFound = "player don't exist!";
    public const string ParameterError = "parameter error!";
    public const string UsageBanner = "Command Line Management Interface";
}

/// <summary>Stable error codes the relay reports; clients and workflows switch on these.</summary>
internal static class DriverErrors
{
    public const string PlayerNotFound = "PlayerNotFound";
    public const string ParameterError = "ParameterError";
    public const string Rejected = "Rejected";
    public const string Timeout = "Timeout";
    public const string NoEffect = "NoEffect";
    public const string UnexpectedOutput = "UnexpectedOutput";
    public const string LaunchFailed = "LdConsoleNotRunnable";
}
