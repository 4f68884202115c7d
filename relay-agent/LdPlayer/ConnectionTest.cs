using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;
using LdFleet.Protocol.Commands;
using LdFleet.Relay.LdPlayer.Catalog;
using LdFleet.Relay.LdPlayer.Ssh;
using D = LdFleet.Protocol.Commands.ConnectionTestData;

namespace LdFleet.Relay.LdPlayer;

/// <summary>
/// The <see cref="EmulatorActions.TestConnection"/> diagnostic: reach the host, run ldconsole without arguments (its
/// usage banner tells that it is there and, on LDPlayer 14, its version), run list2 and parse it; each stage timed.
/// It bypasses the host's circuit breaker and call limit (it is how an operator checks a sick host) and closes the
/// circuit when every stage passes. The facts go to <see cref="DriverResult.Data"/> under the keys of
/// <see cref="ConnectionTestData"/>.
/// </summary>
internal sealed partial class ConnectionTest
{
    private static readonly TimeSpan MaxStageTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan MinStageTimeout = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;

    public ConnectionTest(TimeProvider time) => _time = time;

    /// <summary>Runs the stages within <paramref name="budget"/> (each gets a third of it, at most 20 s).</summary>
    public async Task<DriverResult> RunAsync(LdPlayerHost host, TimeSpan budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var stageTimeout = TimeSpan.FromTicks(Math.Clamp(budget.Ticks / 3, MinStageTimeout.Ticks, MaxStageTimeout.Ticks));
        var run = new Run(host, _time);
        run.Data[D.CircuitBefore] = host.Circuit.Snapshot().State;

        var passed = await run.StageAsync(D.Reach, async () =>
            {
                run.Data[D.Key(D.Reach, "detail")] = await host.ReachAsync(cancellationToken);
                return null;
            })
            && await run.StageAsync(D.LdConsole, () => LdConsoleAsync(run, stageTimeout, cancellationToken))
            && await run.StageAsync(D.List2, () => List2Async(run, stageTimeout, cancellationToken));

        if (passed)
        {
            await host.Circuit.CloseAsync(cancellationToken);
        }

        run.Data[D.CircuitAfter] = host.Circuit.Snapshot().State;
        run.Data[D.TotalMs] = Ms(_time.GetElapsedTime(run.Started));
        var summary = string.Join("; ", run.Summary);
        return passed
            ? new DriverResult(true, 0, summary) { Data = run.Data }
            : new DriverResult(false, null, summary, run.ErrorCode, run.Error) { Data = run.Data };
    }

    private static async Task<Failure?> LdConsoleAsync(Run run, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var host = run.Host;
        run.Data[D.Key(D.LdConsole, "path")] = host.Options.LdConsolePath;
        run.Data[D.Key(D.LdConsole, "encoding")] = string.Create(CultureInfo.InvariantCulture, $"{host.Options.OutputEncoding}, code page {host.Options.CodePage}");
        var (output, fault) = await host.RunUncheckedAsync([], timeout, cancellationToken);
        if (output.TimedOut)
        {
            return new(DriverErrors.Timeout, $"ldconsole did not answer within {timeout.TotalSeconds:0.#} s without arguments; it hangs on this host.");
        }

        if (fault is not null)
        {
            return new(DriverErrors.LdConsoleNotRunnable, fault + ".");
        }

        var banner = output.Text.Split('\n', StringSplitOptions.TrimEntries).FirstOrDefault(l => l.Contains(LdConsoleTexts.UsageBanner, StringComparison.Ordinal));
        if (banner is null)
        {
            var first = output.Text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "(nothing)";
            return new(DriverErrors.UnexpectedOutput, $"'{host.Options.LdConsolePath}' ran (exit {output.ExitCode}) but printed no ldconsole usage banner: {first}");
        }

        run.Data[D.Key(D.LdConsole, "banner")] = banner;
        if (VersionPattern().Match(banner) is { Success: true } version)
        {
            run.Data[D.Key(D.LdConsole, "version")] = version.Groups[1].Value;
        }

        return null;
    }

    private static async Task<Failure?> List2Async(Run run, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (output, fault) = await run.Host.RunUncheckedAsync(LdConsoleCommands.List2().Arguments, timeout, cancellationToken);
        if (output.TimedOut)
        {
            return new(DriverErrors.Timeout, $"list2 did not answer within {timeout.TotalSeconds:0.#} s.");
        }

        if (fault is not null || output.ExitCode != 0)
        {
            return new(DriverErrors.ListUnreadable, fault ?? $"list2 exited {output.ExitCode}: {output.Text.Trim()}");
        }

        if (!List2Parser.TryParse(output.Text, out var emulators, out var error))
        {
            return new(DriverErrors.ListUnreadable, error!);
        }

        run.Data[D.Key(D.List2, "emulators")] = emulators.Count.ToString(CultureInfo.InvariantCulture);
        run.Data[D.Key(D.List2, "running")] = emulators.Count(e => e.IsStarted).ToString(CultureInfo.InvariantCulture);
        run.Data[D.Key(D.List2, "columns")] = emulators.Count == 0 ? "0" : emulators[0].Width is null ? "7" : "10";
        run.Data[D.Key(D.List2, "encoding")] = output.Encoding;
        return null;
    }

    private static string Ms(TimeSpan elapsed) => ((long)elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    // "ldplayer v14.0.29.0 Command Line Management Interface" (LDPlayer 14); older banners carry no version.
    [GeneratedRegex(@"\bv(\d+(?:\.\d+)+)\b", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();

    /// <summary>Why a stage failed: the result's error code and text.</summary>
    private sealed record Failure(string Code, string Error);

    /// <summary>The stages of one test so far.</summary>
    private sealed class Run(LdPlayerHost host, TimeProvider time)
    {
        public LdPlayerHost Host { get; } = host;

        public long Started { get; } = time.GetTimestamp();

        public Dictionary<string, string> Data { get; } = new(StringComparer.Ordinal);

        public List<string> Summary { get; } = [];

        public string? ErrorCode { get; private set; }

        public string? Error { get; private set; }

        /// <summary>Runs one stage and records it; false when it failed (the later stages then do not run).</summary>
        public async Task<bool> StageAsync(string stage, Func<Task<Failure?>> body)
        {
            var stages = Data.TryGetValue(D.Stages, out var before) ? before + "," + stage : stage;
            Data[D.Stages] = stages;
            var started = time.GetTimestamp();
            Failure? failure;
            try
            {
                failure = await body();
            }
            catch (SshHostException ex)
            {
                failure = new(DriverErrors.HostUnreachable, ex.Message);
            }
            catch (Win32Exception ex)
            {
                failure = new(DriverErrors.LdConsoleNotRunnable, $"ldconsole could not be started at '{Host.Options.LdConsolePath}': {ex.Message}");
            }

            var elapsed = Ms(time.GetElapsedTime(started));
            Data[D.Key(stage, "ok")] = failure is null ? "true" : "false";
            Data[D.Key(stage, "ms")] = elapsed;
            if (failure is null)
            {
                Summary.Add($"{stage} ok ({elapsed} ms)");
                return true;
            }

            Data[D.Key(stage, "error")] = failure.Error;
            Data[D.FailedStage] = stage;
            Summary.Add($"{stage} FAILED ({elapsed} ms): {failure.Error}");
            ErrorCode = failure.Code;
            Error = $"Connection test of host '{Host.Id}' failed at stage {stage}: {failure.Error}";
            return false;
        }
    }
}
