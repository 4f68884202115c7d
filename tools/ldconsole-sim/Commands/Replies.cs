using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Profiles;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim.Commands;

/// <summary>The canned error answers of ldconsole (§2.2, §3.5). Errors go to stdout, never stderr.</summary>
internal static class Replies
{
    public const string PlayerNotExist = "player don't exist!";
    public const string ParameterErrorText = "parameter error!";

    /// <summary>Reaction to a missing instance, per profile and command (§2.2 table).</summary>
    public static int MissingInstance(CommandContext context, string command)
    {
        var outcome = context.Profile.MissingInstance(command);
        switch (outcome.Reaction)
        {
            case MissingReaction.PlayerNotExist:
                Error(context, PlayerNotExist);
                break;
            case MissingReaction.Usage:
                context.Out.Write(UsageText.For(context.Profile));
                break;
            case MissingReaction.Silent:
                break;
        }

        return outcome.ExitCode;
    }

    /// <summary>Bad option value: <c>parameter error!</c>, exit −5 (androtools, LD 9.0.79.2).</summary>
    public static int ParameterError(CommandContext context)
    {
        Error(context, ParameterErrorText);
        return ExitCodes.ParameterError;
    }

    public static int UnknownCommand(CommandContext context)
    {
        context.Out.Write(UsageText.For(context.Profile));
        return ExitCodes.UnknownCommand;
    }

    /// <summary>
    /// Guest commands on an instance whose ADB does not answer yet: the adb error text on stdout, rc 0
    /// (§2.2 getprop row, §4.5). Stopped → adb's "not found" wording, booting → "offline".
    /// </summary>
    public static int GuestUnavailable(CommandContext context, Instance instance)
    {
        var text = instance.Phase == InstancePhase.Stopped
            ? "error: device '" + Guest.AdbSerial(instance.Index) + "' not found"
            : "error: device offline";
        context.Out.Write(text + context.Profile.AdbLineEnding);
        return ExitCodes.Success;
    }

    public static void Error(CommandContext context, string text) =>
        context.Out.Write(text + context.Profile.ErrorTerminator);
}
