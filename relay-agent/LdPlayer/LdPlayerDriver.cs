using System.ComponentModel;
using System.Globalization;
using LdFleet.Relay.LdPlayer.Catalog;
using Polly;
using Polly.Retry;

namespace LdFleet.Relay.LdPlayer;

/// <summary>The outcome of one driver call, judged by exit code, known texts and a re-read of list2.</summary>
internal sealed record DriverResult(bool Succeeded, int? ExitCode, string Output, string? ErrorCode = null, string? Error = null)
{
    /// <summary>Facts learned, e.g. <c>index</c> of a new emulator.</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();

    public static DriverResult Success(LdConsoleOutput output) => new(true, output.ExitCode, output.Text);

    public static DriverResult Failure(LdConsoleOutput? output, string errorCode, string error) =>
        new(false, output?.ExitCode, output?.Text ?? "", errorCode, error);
}

/// <summary>
/// Runs ldconsole commands and tells honestly whether they worked. ldconsole's exit codes lie (reference
/// §2.2), so success is "exit and output as expected for the command's kind" AND, for commands that change
/// state, the effect visible in list2 afterwards.
/// </summary>
internal sealed class LdPlayerDriver
{
    private static readonly TimeSpan VerifyPollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan BootPollInterval = TimeSpan.FromSeconds(1);
    private const int EmptyListRetries = 2;

    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<LdConsoleOutput> _queryRetry;

    public LdPlayerDriver(TimeProvider time)
    {
        _time = time;

        // Only failures that say nothing about the emulator are retried: a query that hung or crashed, or
        // list2's known empty answer (reference §2.2). "player don't exist!" is an answer, never retried.
        _queryRetry = new ResiliencePipelineBuilder<LdConsoleOutput> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<LdConsoleOutput>
            {
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } r && IsTransient(r)),
            })
            .Build();
    }

    /// <summary>How long to wait for list2 to show a command's effect.</summary>
    public TimeSpan VerifyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reads every emulator on the host: a list2 started at or after this call, shared with the host's other callers
    /// asking at the same time (boot and stop waits, effect checks), so concurrent waits cost one list2, not one each.
    /// </summary>
    public Task<(IReadOnlyList<EmulatorInfo>? Emulators, string? Error)> ListAsync(LdPlayerHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);

        // Not cancelled with one caller's token: others may share the read. list2's own timeout bounds it.
        return host.EmulatorList.ReadAsync(() => ReadListAsync(host, CancellationToken.None), cancellationToken);
    }

    private async Task<(IReadOnlyList<EmulatorInfo>? Emulators, string? Error)> ReadListAsync(LdPlayerHost host, CancellationToken cancellationToken)
    {
        LdConsoleOutput output;
        try
        {
            output = await RunQueryAsync(host, LdConsoleCommands.List2(), null, cancellationToken);
        }
        catch (Win32Exception ex)
        {
            return (null, $"ldconsole could not be started: {ex.Message}");
        }

        // list2 sometimes prints nothing although emulators exist (reference §2.2): ask again before believing it.
        for (var retry = 0; retry < EmptyListRetries && !output.TimedOut && output.ExitCode == 0 && output.IsSilent; retry++)
        {
            await Task.Delay(VerifyPollInterval, _time, cancellationToken);
            output = await RunQueryAsync(host, LdConsoleCommands.List2(), null, cancellationToken);
        }

        if (output.TimedOut)
        {
            return (null, "list2 did not answer in time.");
        }

        if (output.ExitCode != 0)
        {
            return (null, $"list2 exited {output.ExitCode}: {output.Text.Trim()}");
        }

        return List2Parser.TryParse(output.Text, out var emulators, out var error) ? (emulators, null) : (null, error);
    }

    public Task<DriverResult> LaunchAsync(LdPlayerHost host, int index, TimeSpan timeout, CancellationToken cancellationToken) =>
        ExecuteAsync(host, LdConsoleCommands.Launch(EmulatorSelector.ByIndex(index)), timeout, cancellationToken);

    public Task<DriverResult> QuitAsync(LdPlayerHost host, int index, TimeSpan timeout, CancellationToken cancellationToken) =>
        ExecuteAsync(host, LdConsoleCommands.Quit(EmulatorSelector.ByIndex(index)), timeout, cancellationToken);

    /// <summary>Runs <paramref name="command"/> and judges the outcome by its kind, verifying effects in list2.</summary>
    public async Task<DriverResult> ExecuteAsync(LdPlayerHost host, LdConsoleCommand command, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(command);
        try
        {
            return command.Kind switch
            {
                LdCommandKind.Query => await QueryAsync(host, command, timeout, cancellationToken),
                LdCommandKind.Guest => await GuestAsync(host, command, timeout, cancellationToken),
                LdCommandKind.Create => await CreateAsync(host, command, timeout, cancellationToken),
                _ => await ActionAsync(host, command, timeout, cancellationToken),
            };
        }
        catch (Win32Exception ex)
        {
            return DriverResult.Failure(null, DriverErrors.LdConsoleNotRunnable, $"ldconsole could not be started: {ex.Message}");
        }
        catch (Ssh.SshHostException ex)
        {
            // Unreachable host, wrong host key or refused login: the command did not run, and retrying the
            // same command here would not help; the workflow decides whether to try again later.
            return DriverResult.Failure(null, DriverErrors.HostUnreachable, ex.Message);
        }
        catch (HostUnavailableException ex)
        {
            // The host's circuit is open: fail at once rather than wait for another timeout.
            return DriverResult.Failure(null, DriverErrors.HostUnreachable, ex.Message);
        }
    }

    /// <summary>
    /// Waits until the emulator is really usable: list2 shows Android entered with both processes, AND
    /// <c>getprop sys.boot_completed</c> answers 1 through adb (list2 flips ~10 s before adb works, reference §4.3).
    /// </summary>
    public async Task<DriverResult> WaitUntilBootedAsync(LdPlayerHost host, EmulatorSelector target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(target);
        var deadline = _time.GetUtcNow() + timeout;
        var lastState = "list2 not read yet";
        while (true)
        {
            var (emulators, error) = await ListAsync(host, cancellationToken);
            var emulator = emulators?.FirstOrDefault(target.Matches);
            if (emulators is { Count: > 0 } && emulator is null)
            {
                return DriverResult.Failure(null, DriverErrors.PlayerNotFound, $"There is no emulator with {target} on host {host.Id}.");
            }

            lastState = error ?? emulator switch
            {
                null => "not listed",
                { IsAndroidStarted: true } => "Android entered, adb not ready",
                { IsStarted: true } => "starting",
                _ => "stopped",
            };
            if (emulator is { IsAndroidStarted: true })
            {
                var prop = await RunQueryAsync(host, LdConsoleCommands.Adb(target, "shell getprop sys.boot_completed", TimeSpan.FromSeconds(15)), null, cancellationToken);
                if (!prop.TimedOut && prop.Text.Trim() == "1")
                {
                    return DriverResult.Success(prop) with { Data = new Dictionary<string, string> { ["booted"] = "true" } };
                }
            }

            if (_time.GetUtcNow() >= deadline)
            {
                return DriverResult.Failure(null, DriverErrors.BootTimeout, $"Emulator {target} did not finish booting within {timeout.TotalSeconds:0} s (last seen: {lastState}).");
            }

            await Task.Delay(BootPollInterval, _time, cancellationToken);
        }
    }

    /// <summary>
    /// Waits until list2 shows the emulator stopped (no player process). Quit returns before the player has gone,
    /// and workflows that remove, rename or restore an emulator must not race its shutdown.
    /// </summary>
    public async Task<DriverResult> WaitUntilStoppedAsync(LdPlayerHost host, EmulatorSelector target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(target);
        var deadline = _time.GetUtcNow() + timeout;
        while (true)
        {
            var (emulators, error) = await ListAsync(host, cancellationToken);
            var emulator = emulators?.FirstOrDefault(target.Matches);
            if (emulators is { Count: > 0 } && emulator is null)
            {
                return DriverResult.Failure(null, DriverErrors.PlayerNotFound, $"There is no emulator with {target} on host {host.Id}.");
            }

            if (emulator is { IsStarted: false })
            {
                return new DriverResult(true, 0, "") { Data = new Dictionary<string, string> { ["state"] = "stopped" } };
            }

            if (_time.GetUtcNow() >= deadline)
            {
                return DriverResult.Failure(null, DriverErrors.Timeout, $"Emulator {target} was still running after {timeout.TotalSeconds:0} s ({error ?? "list2 shows it started"}).");
            }

            await Task.Delay(VerifyPollInterval, _time, cancellationToken);
        }
    }

    /// <summary>The emulator's state from list2 (<c>stopped</c>, <c>starting</c> or <c>running</c>) and title, for workflows that branch on it.</summary>
    public async Task<DriverResult> StatusAsync(LdPlayerHost host, EmulatorSelector target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(target);
        var (emulators, error) = await ListAsync(host, cancellationToken);
        if (emulators is null)
        {
            return DriverResult.Failure(null, DriverErrors.ListUnreadable, error ?? "list2 could not be read.");
        }

        if (emulators.FirstOrDefault(target.Matches) is not { } emulator)
        {
            // An empty list may be list2's glitch (ListAsync retried it already); a non-empty one is definite.
            return emulators.Count > 0
                ? DriverResult.Failure(null, DriverErrors.PlayerNotFound, $"There is no emulator with {target} on host {host.Id}.")
                : DriverResult.Failure(null, DriverErrors.ListUnreadable, "list2 listed no emulators at all.");
        }

        var state = emulator switch
        {
            { IsAndroidStarted: true } => "running",
            { IsStarted: true } => "starting",
            _ => "stopped",
        };
        return new DriverResult(true, 0, "")
        {
            Data = new Dictionary<string, string> { ["state"] = state, ["title"] = emulator.Title, ["index"] = emulator.Index.ToString(CultureInfo.InvariantCulture) },
        };
    }

    /// <summary>
    /// For a command that was interrupted (the relay died while ldconsole ran): decides the outcome from list2
    /// alone, without running the command again. Commands whose effect list2 cannot show are reported as
    /// interrupted with an unknown outcome; re-running them could duplicate a side effect.
    /// </summary>
    public async Task<DriverResult> RecoverAsync(LdPlayerHost host, LdConsoleCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Kind is LdCommandKind.Query or LdCommandKind.Guest && command.Name is "list2" or "isrunning" or "runninglist" or "getprop")
        {
            return await ExecuteAsync(host, command, null, cancellationToken);
        }

        var verifiable = command.Kind == LdCommandKind.Action && command.Target is not null && command.Name is "launch" or "launchex" or "quit" or "remove" or "rename";
        if (!verifiable)
        {
            return DriverResult.Failure(null, DriverErrors.InterruptedOutcomeUnknown, $"The relay stopped while ldconsole {command.Name} ran; its outcome is unknown and it was not run again.");
        }

        var target = command.Target!;
        var expectation = Expectation(command);
        var verified = await VerifyAsync(host, list => expectation.Check(list.FirstOrDefault(target.Matches)) ? Check.Done : Check.Pending, cancellationToken);
        return verified.State == Check.Done
            ? new DriverResult(true, null, "") { Data = new Dictionary<string, string> { ["recovered"] = "true" } }
            : DriverResult.Failure(null, DriverErrors.Interrupted, $"The relay stopped while ldconsole {command.Name} ran, and list2 does not show its effect{verified.Detail}; it was not run again.");
    }

    private async Task<DriverResult> QueryAsync(LdPlayerHost host, LdConsoleCommand command, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var output = await RunQueryAsync(host, command, timeout, cancellationToken);
        if (Classify(command, output) is { } failure)
        {
            return failure;
        }

        if (command.Name == "list2" && !List2Parser.TryParse(output.Text, out _, out var error))
        {
            return DriverResult.Failure(output, DriverErrors.ListUnreadable, error!);
        }

        return DriverResult.Success(output);
    }

    private async Task<DriverResult> GuestAsync(LdPlayerHost host, LdConsoleCommand command, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var output = await host.RunAsync(command.Arguments, timeout ?? command.DefaultTimeout, cancellationToken, guest: true);
        if (Classify(command, output) is { } failure)
        {
            return failure;
        }

        // Guest commands exit 0 even when adb could not reach the emulator; adb's own error text tells.
        if (output.Text.TrimStart().StartsWith(LdConsoleTexts.AdbError, StringComparison.Ordinal))
        {
            return DriverResult.Failure(output, DriverErrors.NotRunning, $"The emulator is not running or not booted: {output.Text.Trim()}");
        }

        return DriverResult.Success(output);
    }

    private async Task<DriverResult> CreateAsync(LdPlayerHost host, LdConsoleCommand command, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var (before, listError) = await ListAsync(host, cancellationToken);
        if (before is null)
        {
            return DriverResult.Failure(null, DriverErrors.ListUnreadable, $"Cannot read list2 before {command.Name}: {listError}");
        }

        var output = await host.RunAsync(command.Arguments, timeout ?? command.DefaultTimeout, cancellationToken);
        if (Classify(command, output, exitCodeMeaningful: false) is { } failure)
        {
            return failure;
        }

        // The exit code is the new index on Windows, but only its low 8 bits survive elsewhere (and the
        // simulator on Linux), so the new emulator is identified by comparing list2 before and after.
        var known = before.Select(e => e.Index).ToHashSet();
        var title = ArgumentAfter(command, "--name");
        EmulatorInfo? created = null;
        var verified = await VerifyAsync(host, list =>
        {
            var added = list.Where(e => !known.Contains(e.Index) && (title is null || e.Title == title)).ToList();
            created = added.FirstOrDefault(e => e.Index == output.ExitCode) ?? added.MinBy(e => e.Index);
            return created is null ? Check.Pending : Check.Done;
        }, cancellationToken);

        return verified.State == Check.Done
            ? DriverResult.Success(output) with { Data = new Dictionary<string, string> { ["index"] = created!.Index.ToString(CultureInfo.InvariantCulture), ["title"] = created.Title } }
            : DriverResult.Failure(output, DriverErrors.NoEffect, $"ldconsole {command.Name} exited {output.ExitCode} but no new emulator appeared in list2{verified.Detail}.");
    }

    private async Task<DriverResult> ActionAsync(LdPlayerHost host, LdConsoleCommand command, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var boots = command.Name is "launch" or "launchex" or "reboot";
        var output = await host.RunAsync(command.Arguments, timeout ?? command.DefaultTimeout, cancellationToken, boots);
        if (Classify(command, output) is { } failure)
        {
            return failure;
        }

        if (command.Target is not { } target)
        {
            return DriverResult.Success(output);
        }

        // Exit 0 and silence prove nothing (modify of a missing index and session-0 launches are silent too).
        var expectation = Expectation(command);
        var removing = command.Name == "remove";
        var verified = await VerifyAsync(host, list =>
        {
            var emulator = list.FirstOrDefault(target.Matches);
            if (expectation.Check(emulator))
            {
                return Check.Done;
            }

            // A non-empty list without the target is a definite answer; an empty one may be list2's glitch.
            return emulator is null && list.Count > 0 && !removing ? Check.Missing : Check.Pending;
        }, cancellationToken);

        return verified.State switch
        {
            Check.Done => DriverResult.Success(output),
            Check.Missing => DriverResult.Failure(output, DriverErrors.PlayerNotFound, $"There is no emulator with {target} on host {host.Id}."),
            _ => DriverResult.Failure(output, DriverErrors.NoEffect, $"ldconsole {command.Name} exited {output.ExitCode} but {expectation.Failure}{verified.Detail}."),
        };
    }

    private static (Func<EmulatorInfo?, bool> Check, string Failure) Expectation(LdConsoleCommand command)
    {
        switch (command.Name)
        {
            case "launch" or "launchex" or "reboot":
                return (e => e?.IsStarted == true, "the emulator did not start (is ldconsole running outside the interactive desktop session? reference §4.8)");
            case "quit":
                return (e => e is { IsStarted: false }, "the emulator is still running");
            case "remove":
                return (e => e is null, "the emulator is still listed");
            case "rename":
                var title = ArgumentAfter(command, "--title");
                return (e => e is not null && (command.Target is NameSelector || e.Title == title), "list2 does not show the new title");
            case "modify" when ArgumentAfter(command, "--resolution") is { } resolution:
                var wanted = resolution.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();

                // 7-column builds print no resolution: there, existing is all list2 can confirm.
                return (e => e is not null && (e.Width is null || (e.Width == wanted[0] && e.Height == wanted[1] && e.Dpi == wanted[2])), "list2 does not show the new resolution");
            default:
                return (e => e is not null, "the emulator does not exist");
        }
    }

    private async Task<(Check State, string Detail)> VerifyAsync(LdPlayerHost host, Func<IReadOnlyList<EmulatorInfo>, Check> probe, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + VerifyTimeout;
        while (true)
        {
            var (emulators, error) = await ListAsync(host, cancellationToken);
            var state = emulators is null ? Check.Pending : probe(emulators);
            if (state != Check.Pending)
            {
                return (state, "");
            }

            if (_time.GetUtcNow() >= deadline)
            {
                return (Check.Pending, $" within {VerifyTimeout.TotalSeconds:0} s" + (error is null ? "" : $"; list2: {error}"));
            }

            await Task.Delay(VerifyPollInterval, _time, cancellationToken);
        }
    }

    private ValueTask<LdConsoleOutput> RunQueryAsync(LdPlayerHost host, LdConsoleCommand command, TimeSpan? timeout, CancellationToken cancellationToken) =>
        _queryRetry.ExecuteAsync(
            static async (state, ct) => await state.host.RunAsync(state.command.Arguments, state.timeout, ct, guest: state.command.Kind == LdCommandKind.Guest),
            (host, command, timeout: timeout ?? command.DefaultTimeout),
            cancellationToken);

    // A query that hung or exited abnormally without one of ldconsole's known answers says nothing about the emulator.
    private static bool IsTransient(LdConsoleOutput output) =>
        output.TimedOut || (output.ExitCode != 0 && !IsKnownAnswer(output.Text));

    private static bool IsKnownAnswer(string text) =>
        text.Contains(LdConsoleTexts.PlayerNotFound, StringComparison.Ordinal)
        || text.Contains(LdConsoleTexts.ParameterError, StringComparison.Ordinal)
        || text.Contains(LdConsoleTexts.UsageBanner, StringComparison.Ordinal);

    private static DriverResult? Classify(LdConsoleCommand command, LdConsoleOutput output, bool exitCodeMeaningful = true)
    {
        if (output.TimedOut)
        {
            return DriverResult.Failure(output, DriverErrors.Timeout, $"ldconsole {command.Name} did not finish in time ({output.Duration.TotalSeconds:0.#} s); it was killed.");
        }

        var text = output.Text;
        if (text.Contains(LdConsoleTexts.PlayerNotFound, StringComparison.Ordinal))
        {
            return DriverResult.Failure(output, DriverErrors.PlayerNotFound, "ldconsole says: player don't exist!");
        }

        if (text.Contains(LdConsoleTexts.ParameterError, StringComparison.Ordinal))
        {
            return DriverResult.Failure(output, DriverErrors.ParameterError, "ldconsole says: parameter error! (a value was refused)");
        }

        if (text.Contains(LdConsoleTexts.UsageBanner, StringComparison.Ordinal))
        {
            // LDPlayer 14 answers a launch of a missing index, and LDPlayer 9 a copy from a missing source,
            // with the usage text (reference §2.2); without a target it means the command itself was refused.
            return command.Target is not null
                ? DriverResult.Failure(output, DriverErrors.PlayerNotFound, "ldconsole printed its usage text: the emulator does not exist.")
                : DriverResult.Failure(output, DriverErrors.UnexpectedOutput, "ldconsole printed its usage text: this LDPlayer version does not know the command.");
        }

        if (command.Kind is LdCommandKind.Query or LdCommandKind.Guest)
        {
            return output.ExitCode == 0 ? null : DriverResult.Failure(output, DriverErrors.UnexpectedOutput, $"ldconsole {command.Name} exited {output.ExitCode}.");
        }

        if (!output.IsSilent || (exitCodeMeaningful && output.ExitCode != 0))
        {
            return DriverResult.Failure(output, DriverErrors.UnexpectedOutput, $"ldconsole {command.Name} exited {output.ExitCode} with unexpected output.");
        }

        return null;
    }

    private static string? ArgumentAfter(LdConsoleCommand command, string option)
    {
        var i = command.Arguments.ToList().IndexOf(option);
        return i >= 0 && i + 1 < command.Arguments.Count ? command.Arguments[i + 1] : null;
    }
}

/// <summary>Where a verification stands after one look at list2.</summary>
internal enum Check
{
    Pending,
    Done,
    Missing,
}
