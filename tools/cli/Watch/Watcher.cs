using System.Globalization;
using System.Text.Json;
using LdFleet.Cli.Api;
using LdFleet.Cli.Output;
using Spectre.Console;

namespace LdFleet.Cli.Watch;

/// <summary>How a watch polls and renders.</summary>
internal sealed record WatchSettings(bool Plain, TimeSpan Interval, TimeSpan? Timeout);

/// <summary>
/// Follows an operation or a batch until it ends, by polling the API. On a terminal: a live progress bar
/// (Spectre). Otherwise (redirected output, CI logs, --plain): one plain line per change, so logs stay readable.
/// The exit code tells how it ended.
/// </summary>
internal sealed class Watcher
{
    private readonly FleetClient _client;
    private readonly ConsoleOutput _output;
    private readonly WatchSettings _settings;
    private readonly TimeProvider _time;

    public Watcher(FleetClient client, ConsoleOutput output, WatchSettings settings, TimeProvider? time = null)
    {
        _client = client;
        _output = output;
        _settings = settings;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Plain lines go to stdout, or to stderr under --json (stdout then carries the final JSON only).</summary>
    private TextWriter Lines => _output.Json ? Console.Error : Console.Out;

    private bool Live => !_settings.Plain && !_output.Json && _output.Interactive;

    public async Task<int> WatchBatchAsync(string batchId, CancellationToken cancellationToken)
    {
        var path = $"/api/batches/{Uri.EscapeDataString(batchId)}";
        var eta = new EtaEstimator();
        var deadline = Deadline();
        JsonElement batch;
        if (Live)
        {
            batch = default;
            _output.Console.MarkupLine(Markup.Escape($"batch {batchId}"));
            await _output.Console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("starting", maxValue: 1);
                    while (true)
                    {
                        batch = await _client.GetAsync(path, cancellationToken);
                        var snapshot = BatchSnapshot.From(batch);
                        task.MaxValue = Math.Max(1, snapshot.Total);
                        task.Value = snapshot.Done;
                        // Short enough to leave the bar room on an 80-column terminal; the id is on the line above.
                        task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                            $"{snapshot.Status} {snapshot.Succeeded}/{snapshot.Total} succeeded, {snapshot.Errors} failed, {snapshot.Running} running, eta {EtaEstimator.Format(snapshot.IsTerminal ? TimeSpan.Zero : eta.Estimate(_time.GetUtcNow(), snapshot.Done, snapshot.Total))}"));
                        if (snapshot.IsTerminal || Expired(deadline))
                        {
                            task.StopTask();
                            return;
                        }

                        await Task.Delay(_settings.Interval, _time, cancellationToken);
                    }
                });
        }
        else
        {
            string? last = null;
            while (true)
            {
                batch = await _client.GetAsync(path, cancellationToken);
                var snapshot = BatchSnapshot.From(batch);
                var counts = snapshot.Counts();
                var estimate = eta.Estimate(_time.GetUtcNow(), snapshot.Done, snapshot.Total);
                if (counts != last)
                {
                    Lines.WriteLine($"batch {snapshot.Id} {counts}, eta {EtaEstimator.Format(snapshot.IsTerminal ? TimeSpan.Zero : estimate)}");
                    last = counts;
                }

                if (snapshot.IsTerminal || Expired(deadline))
                {
                    break;
                }

                await Task.Delay(_settings.Interval, _time, cancellationToken);
            }
        }

        var final = BatchSnapshot.From(batch);
        if (_output.Json)
        {
            ConsoleOutput.WriteJson(batch);
        }

        if (!final.IsTerminal)
        {
            Console.Error.WriteLine($"Stopped watching after {_settings.Timeout}: batch {final.Id} is still {final.Status}.");
            return ExitCodes.WatchTimeout;
        }

        var reason = Fields.Of(batch, "stopReason");
        if (final.Status != "Succeeded")
        {
            Console.Error.WriteLine($"batch {final.Id} {final.Status}{(reason.Length > 0 ? $": {reason}" : "")}. Items: ldfleet batches items {final.Id}");
        }

        return final.Status switch
        {
            "Succeeded" => ExitCodes.Success,
            "Cancelled" => ExitCodes.Cancelled,
            _ => ExitCodes.Failed,
        };
    }

    public async Task<int> WatchOperationAsync(string operationId, CancellationToken cancellationToken)
    {
        var path = $"/api/operations/{Uri.EscapeDataString(operationId)}";
        var deadline = Deadline();
        JsonElement operation = default;
        string? last = null;
        async Task<bool> PollAsync()
        {
            operation = await _client.GetAsync(path, cancellationToken);
            var line = Describe(operation);
            if (line != last)
            {
                if (Live)
                {
                    _output.Console.MarkupLine(Markup.Escape(line));
                }
                else
                {
                    Lines.WriteLine(line);
                }

                last = line;
            }

            return IsTerminal(Fields.Of(operation, "status")) || Expired(deadline);
        }

        if (Live)
        {
            await _output.Console.Status().StartAsync($"operation {Fields.Short(operationId)}", async _ =>
            {
                while (!await PollAsync())
                {
                    await Task.Delay(_settings.Interval, _time, cancellationToken);
                }
            });
        }
        else
        {
            while (!await PollAsync())
            {
                await Task.Delay(_settings.Interval, _time, cancellationToken);
            }
        }

        if (_output.Json)
        {
            ConsoleOutput.WriteJson(operation);
        }

        var status = Fields.Of(operation, "status");
        if (!IsTerminal(status))
        {
            Console.Error.WriteLine($"Stopped watching after {_settings.Timeout}: operation {operationId} is still {status}.");
            return ExitCodes.WatchTimeout;
        }

        if (status != "Succeeded")
        {
            Console.Error.WriteLine($"operation {operationId} {status}: {Fields.Of(operation, "errorCode")} {Fields.Of(operation, "error")}".TrimEnd());
        }

        return status switch
        {
            "Succeeded" => ExitCodes.Success,
            "TimedOut" => ExitCodes.TimedOut,
            "Cancelled" => ExitCodes.Cancelled,
            _ => ExitCodes.Failed,
        };
    }

    /// <summary>One line per visible change: status, and the step in progress (or the last one).</summary>
    internal static string Describe(JsonElement operation)
    {
        var line = $"operation {Fields.Of(operation, "id")} {Fields.Of(operation, "workflow")} {Fields.Of(operation, "status")}";
        if (operation.TryGetProperty("steps", out var steps) && steps.ValueKind == JsonValueKind.Array && steps.GetArrayLength() > 0)
        {
            var step = steps[steps.GetArrayLength() - 1];
            var attempt = Fields.Int(step, "attempt");
            line += $": step {Fields.Of(step, "name")} {Fields.Of(step, "status")}{(attempt > 1 ? $" (attempt {attempt})" : "")}";
        }

        // Mutating operations on one emulator take turns; a waiting one says whose turn it is.
        if (Fields.Of(operation, "waitingFor") is { Length: > 0 } waitingFor)
        {
            line += $", waiting for operation {waitingFor} on this emulator";
        }

        return line;
    }

    internal static bool IsTerminal(string status) => status is "Succeeded" or "Failed" or "TimedOut" or "Cancelled";

    private DateTimeOffset? Deadline() => _settings.Timeout is { } timeout ? _time.GetUtcNow() + timeout : null;

    private bool Expired(DateTimeOffset? deadline) => deadline is { } d && _time.GetUtcNow() >= d;
}
