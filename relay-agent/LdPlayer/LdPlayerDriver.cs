using System.ComponentModel;
using System.Globalization;

namespace LdFleet.Relay.LdPlayer;

/// <summary>The outcome of one driver action, judged by exit code, known texts and a re-read of list2.</summary>
internal sealed record DriverResult(bool Succeeded, int? ExitCode, string Output, string? ErrorCode = null, string? Error = null)
{
    public static DriverResult Success(LdConsoleOutput output) => new(true, output.ExitCode, output.Text);

    public static DriverResult Failure(LdConsoleOutput? output, string errorCode, string error) =>
        new(false, output?.ExitCode, output?.Text ?? "", errorCode, error);
}

/// <summary>
/// Runs ldconsole actions and tells honestly whether they worked. ldconsole's exit codes lie (reference §2.2):
/// success is "silent exit 0" AND the effect visible in list2.
/// </summary>
internal sealed class LdPlayerDriver
{
    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan VerifyPollInterval = TimeSpan.FromMilliseconds(200);

    private readonly TimeProvider _time;

    public LdPlayerDriver(TimeProvider time) => _time = time;

    /// <summary>How long to wait for list2 to show an action's effect.</summary>
    public TimeSpan VerifyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public async Task<(IReadOnlyList<EmulatorInfo>? Emulators, string? Error)> ListAsync(LdPlayerHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var output = await host.RunAsync(["list2"], ListTimeout, cancellationToken);
        if (output.TimedOut)
        {
            return (null, $"list2 did not answer within {ListTimeout.TotalSeconds:0} s.");
        }

        return List2Parser.TryParse(output.Text, out var emulators, out var error) ? (emulators, null) : (null, error);
    }

    public Task<DriverResult> LaunchAsync(LdPlayerHost host, int index, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunVerifiedAsync(host, "launch", index, timeout, e => e?.IsStarted == true, "the emulator did not start (is ldconsole running outside the interactive desktop session?)", cancellationToken);

    public Task<DriverResult> QuitAsync(LdPlayerHost host, int index, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunVerifiedAsync(host, "quit", index, timeout, e => e is not null && !e.IsStarted, "the emulator is still running", cancellationToken);

    private async Task<DriverResult> RunVerifiedAsync(
        LdPlayerHost host, string command, int index, TimeSpan timeout, Func<EmulatorInfo?, bool> effectVisible, string noEffect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentOutOfRangeException.ThrowIfNegative(index);

        LdConsoleOutput output;
        try
        {
            output = await host.RunAsync([command, "--index", index.ToString(CultureInfo.InvariantCulture)], timeout, cancellationToken);
        }
        catch (Win32Exception ex)
        {
            return DriverResult.Failure(null, DriverErrors.LaunchFailed, $"ldconsole could not be started: {ex.Message}");
        }

        if (Classify(output) is { } failure)
        {
            return failure;
        }

        // Exit 0 and silence prove nothing (session 0 launches do nothing and say nothing): look at list2.
        var deadline = _time.GetUtcNow() + VerifyTimeout;
        string? lastError = null;
        while (true)
        {
            var (emulators, error) = await ListAsync(host, cancellationToken);
            lastError = error;
            if (emulators is not null)
            {
                var emulator = emulators.FirstOrDefault(e => e.Index == index);
                if (emulator is null && emulators.Count > 0)
                {
                    return DriverResult.Failure(output, DriverErrors.PlayerNotFound, $"There is no emulator with index {index} on host {host.Id}.");
                }

                if (effectVisible(emulator))
                {
                    return DriverResult.Success(output);
                }
            }

            if (_time.GetUtcNow() >= deadline)
            {
                return DriverResult.Failure(output, DriverErrors.NoEffect, $"ldconsole {command} exited {output.ExitCode} but {noEffect} within {VerifyTimeout.TotalSeconds:0} s" + (lastError is null ? "." : $"; {lastError}"));
            }

            await Task.Delay(VerifyPollInterval, _time, cancellationToken);
        }
    }

    private static DriverResult? Classify(LdConsoleOutput output)
    {
        if (output.TimedOut)
        {
            return DriverResult.Failure(output, DriverErrors.Timeout, $"ldconsole did not finish within the command's timeout ({output.Duration.TotalSeconds:0.#} s); it was killed.");
        }

        var text = output.Text;
        if (text.Contains(LdConsoleTexts.PlayerNotFound, StringComparison.Ordinal))
        {
            return DriverResult.Failure(output, DriverErrors.PlayerNotFound, "ldconsole says: player don't exist!");
        }

        if (text.Contains(LdConsoleTexts.ParameterError, StringComparison.Ordinal))
        {
            return DriverResult.Failure(output, DriverErrors.ParameterError, "ldconsole says: parameter error!");
        }

        if (text.Contains(LdConsoleTexts.UsageBanner, StringComparison.Ordinal))
        {
            // LDPlayer 14 answers a launch of a missing index with the usage text (reference §2.2).
            return DriverResult.Failure(output, DriverErrors.PlayerNotFound, "ldconsole printed its usage text: the emulator does not exist or the arguments were refused.");
        }

        if (!output.IsSilent || output.ExitCode != 0)
        {
            return DriverResult.Failure(output, DriverErrors.UnexpectedOutput, $"ldconsole exited {output.ExitCode} with unexpected output.");
        }

        return null;
    }
}
