using LdFleet.LdConsoleSim.Cli;
using LdFleet.LdConsoleSim.Commands;
using LdFleet.LdConsoleSim.Faults;
using LdFleet.LdConsoleSim.Output;
using LdFleet.LdConsoleSim.State;

namespace LdFleet.LdConsoleSim;

/// <summary>
/// One process = one ldconsole call: take the state lock, decide faults, run the command, commit,
/// journal, release the lock, then emit stdout and exit.
/// </summary>
internal static class SimRunner
{
    public static int Run(string[] args)
    {
        try
        {
            return RunCore(args);
        }
        catch (SimUsageException ex)
        {
            StdStreams.WriteStderr("ldconsole-sim: " + ex.Message);
            return ExitCodes.SimUsage;
        }
        catch (TimeoutException ex)
        {
            StdStreams.WriteStderr(ex.Message);
            return ExitCodes.LockTimeout;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            StdStreams.WriteStderr("ldconsole-sim: internal error: " + ex);
            return ExitCodes.InternalError;
        }
    }

    private static int RunCore(string[] args)
    {
        var paths = SimPaths.Resolve();
        var parsed = ArgumentParser.Parse(args);
        InvocationResult result;
        using (SimLock.Acquire(paths.Lock))
        {
            try
            {
                result = SimCommands.IsSimCommand(parsed.Command)
                    ? SimCommands.Execute(paths, parsed)
                    : RunLdConsole(paths, parsed);
            }
            catch (SimUsageException ex)
            {
                result = InvocationResult.SimError(ex.Message);
            }

            Journal.Append(paths, args, result.ExitCode, result.Stdout.Length, result.Faults);
        }

        // Emitted after the lock is released: a caller slow to drain the pipe must not block others.
        StdStreams.WriteStdout(result.Stdout);
        if (result.Stderr is { } stderr)
        {
            StdStreams.WriteStderr(stderr);
        }

        if (result.Hang)
        {
            Thread.Sleep(Timeout.Infinite);
        }

        return ExitCodes.ToOs(result.ExitCode ?? ExitCodes.Success);
    }

    private static InvocationResult RunLdConsole(SimPaths paths, ParsedArgs parsed)
    {
        var settings = EffectiveSettings.Load(paths);
        var faults = FaultPlanner.Plan(paths, parsed.Command ?? string.Empty);
        switch (faults.Takeover)
        {
            case FaultKind.Hang:
                return new InvocationResult(null, [], null, faults.Names, Hang: true);
            case FaultKind.Garbage:
                return new InvocationResult(ExitCodes.Success, Garbage(), null, faults.Names);
        }

        var stateStore = new StateStore(paths);
        var state = stateStore.Load();
        var install = new InstallStore(paths);
        var context = new CommandContext(new SimWorld(settings, state, install), parsed, faults);
        var exitCode = CommandTable.Execute(context);
        var stdout = context.Out.Encode(OutputEncodings.Get(settings.Encoding));

        if (faults.Takeover == FaultKind.Crash)
        {
            // Dies before committing: half the output, a runtime-style message, SIGABRT-like code.
            return new InvocationResult(
                ExitCodes.Crash,
                stdout[..(stdout.Length / 2)],
                "Unhandled exception. System.AccessViolationException: Attempted to read or write protected memory. (ldconsole-sim fault 'crash')",
                faults.Names);
        }

        install.Commit();
        stateStore.Save(state);
        return new InvocationResult(exitCode, stdout, null, faults.Names);
    }

    /// <summary>Random bytes that are never valid UTF-8 (0xFF cannot appear in UTF-8) nor a clean list2 row.</summary>
    private static byte[] Garbage()
    {
        var bytes = new byte[32 + Random.Shared.Next(256)];
        Random.Shared.NextBytes(bytes);
        bytes[0] = 0xFF;
        return bytes;
    }
}
