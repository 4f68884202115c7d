using System.CommandLine;
using System.Text.Json;
using LdFleet.Cli.Output;
using static LdFleet.Cli.Commands.CommandKit;

namespace LdFleet.Cli.Commands;

/// <summary><c>ldfleet operations</c>: one workflow on one emulator (or host), and following it.</summary>
internal static class OperationsCommands
{
    internal static readonly Column[] Columns =
    [
        Column.Of("ID", "id"), Column.Of("WORKFLOW", "workflow"), Column.Of("SITE", "siteId"), Column.Of("HOST", "hostId"), Column.Of("INDEX", "index"),
        Column.Of("STATUS", "status"), Column.Of("CREATED", "createdAt"), Column.Of("ERROR", "errorCode"),
    ];

    private static readonly Column[] StepColumns =
    [
        Column.Of("STEP", "name"), Column.Of("ACTION", "action"), Column.Of("STATUS", "status"), Column.Of("ATTEMPT", "attempt"),
        Column.Of("EXIT", "exitCode"), Column.Of("COMPLETED", "completedAt"), Column.Of("ERROR", "error"),
    ];

    public const string WorkflowHelp =
        "Workflow: provision, delete, rename, modify, recycle, sequence, or one ldconsole action (launch, quit, reboot, installapp, runapp, adb, ...).";

    public static Command Create()
    {
        return new Command("operations", "Workflows on single emulators: start, show, list, watch, cancel.")
            .With(Start(), Show(), List(), WatchCommand(), Cancel());
    }

    private static Command Start()
    {
        var workflow = Arg("workflow", WorkflowHelp);
        var emulator = Text("--emulator", "Target emulator as site/host/index.", "-e");
        var site = Text("--site", "Target site (with --host; instead of --emulator).");
        var host = Text("--host", "Target host.");
        var index = new Option<int?>("--index") { Description = "Target emulator index (omit for workflows that create one or act on the host)." };
        var parameters = Many("--param", "Workflow parameter key=value (repeatable), e.g. -p title=web-01.", "-p");
        var steps = Many("--step", "For 'sequence': an action with parameters, action[:key=value,key=value] (repeatable, in order).");
        var watch = Flag("--watch", "Follow the operation until it ends; the exit code tells how it ended.", "-w");
        var watchOptions = new WatchOptions();
        return new Command("start", "Start a workflow on one emulator (Fleet.Operate; adb needs Fleet.Admin). Retried requests are safe: each invocation sends one Idempotency-Key.")
            .With(workflow, emulator, site, host, index, parameters, steps, watch).With(watchOptions.Symbols)
            .WithAction(async (context, ct) =>
            {
                var p = context.Parse;
                string? siteId = p.GetValue(site), hostId = p.GetValue(host);
                var emulatorIndex = p.GetValue(index);
                if (p.GetValue(emulator) is { } id)
                {
                    if (siteId is not null || hostId is not null || emulatorIndex is not null)
                    {
                        throw new CliException(ExitCodes.Usage, "Give either --emulator site/host/index or --site/--host/--index, not both.");
                    }

                    (siteId, hostId, var i) = Emulator(id);
                    emulatorIndex = i;
                }

                if (siteId is null || hostId is null)
                {
                    throw new CliException(ExitCodes.Usage, "Name the target: --emulator site/host/index, or --site and --host (and --index).");
                }

                var body = new
                {
                    workflow = p.GetValue(workflow),
                    siteId,
                    hostId,
                    index = emulatorIndex,
                    parameters = NullIfEmpty(KeyValues(p.GetValue(parameters), "--param")),
                    steps = Steps(p.GetValue(steps)),
                };
                var operation = await context.Client.PostAsync("/api/operations", body, idempotent: true, ct);
                var operationId = Fields.Of(operation, "id");
                if (!p.GetValue(watch))
                {
                    if (context.Json)
                    {
                        ConsoleOutput.WriteJson(operation);
                    }
                    else
                    {
                        context.Output.Note($"Started operation {operationId} ({Fields.Of(operation, "workflow")} on {siteId}/{hostId}{(emulatorIndex is { } n ? $"/{n}" : "")}). Follow it: ldfleet operations watch {operationId}");
                    }

                    return ExitCodes.Success;
                }

                return await watchOptions.Create(context).WatchOperationAsync(operationId, ct);
            });
    }

    private static Command Show()
    {
        var id = Arg("operation", "Operation id.");
        return new Command("show", "Show an operation and its steps.").With(id).WithAction(async (context, ct) =>
        {
            var operation = await context.Client.GetAsync($"/api/operations/{Escape(context.Parse.GetValue(id)!)}", ct);
            if (context.Json)
            {
                ConsoleOutput.WriteJson(operation);
                return ExitCodes.Success;
            }

            context.Output.List([operation], false, Columns);
            foreach (var (label, name) in new[] { ("Parameters", "parameters"), ("Result", "result"), ("Error", "error") })
            {
                if (Fields.Of(operation, name) is { Length: > 0 } value)
                {
                    Console.Out.WriteLine($"{label}: {value}");
                }
            }

            if (operation.TryGetProperty("steps", out var steps) && steps.ValueKind == JsonValueKind.Array)
            {
                context.Output.List([.. steps.EnumerateArray()], false, StepColumns);
            }

            return ExitCodes.Success;
        });
    }

    private static Command List()
    {
        var paging = new Paging();
        var site = Text("--site", "Only this site.");
        var status = Text("--status", "Pending, Dispatched, Running, Succeeded, Failed, TimedOut or Cancelled.");
        var workflow = Text("--workflow", "Only this workflow.");
        var batch = Text("--batch", "Only children of this batch.");
        var since = Text("--since", "Only operations created after this time (ISO 8601) or this long ago (e.g. 1h).");
        return new Command("list", "List operations, newest filters first (a filtered scan: fine for operators, not a hot path).")
            .With(site, status, workflow, batch, since).With(paging.Symbols)
            .WithAction(async (context, ct) =>
            {
                var p = context.Parse;
                var query = new List<KeyValuePair<string, string?>>
                {
                    new("siteId", p.GetValue(site)), new("status", p.GetValue(status)), new("workflow", p.GetValue(workflow)), new("batchId", p.GetValue(batch)),
                    new("createdAfter", Since(p.GetValue(since))),
                };
                var (items, more) = await context.Client.ListAsync("/api/operations", query, paging.Resolve(p), ct);
                context.Output.List(items, more, Columns);
                return ExitCodes.Success;
            });
    }

    private static Command WatchCommand()
    {
        var id = Arg("operation", "Operation id.");
        var watchOptions = new WatchOptions();
        return new Command("watch", "Follow an operation until it ends. Exit code: 0 succeeded, 6 failed, 7 timed out, 8 cancelled, 9 --timeout elapsed.")
            .With(id).With(watchOptions.Symbols)
            .WithAction((context, ct) => watchOptions.Create(context).WatchOperationAsync(context.Parse.GetValue(id)!, ct));
    }

    private static Command Cancel()
    {
        var id = Arg("operation", "Operation id.");
        return new Command("cancel", "Cancel an operation: pending steps are dropped, a running command is told to stop (Fleet.Operate).").With(id).WithAction(async (context, ct) =>
        {
            var operation = await context.Client.PostAsync($"/api/operations/{Escape(context.Parse.GetValue(id)!)}/cancel", null, idempotent: false, ct);
            if (context.Json)
            {
                ConsoleOutput.WriteJson(operation);
            }
            else
            {
                context.Output.Note($"Cancel requested for operation {Fields.Of(operation, "id")} (now {Fields.Of(operation, "status")}).");
            }

            return ExitCodes.Success;
        });
    }

    internal static Dictionary<string, string>? NullIfEmpty(Dictionary<string, string> values) => values.Count == 0 ? null : values;

    /// <summary>Parses <c>action[:key=value,key=value]</c> steps of a sequence.</summary>
    internal static List<object>? Steps(string[]? steps)
    {
        if (steps is not { Length: > 0 })
        {
            return null;
        }

        return [.. steps.Select(s =>
        {
            var colon = s.IndexOf(':', StringComparison.Ordinal);
            var action = colon < 0 ? s : s[..colon];
            var parameters = colon < 0 ? [] : KeyValues(s[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries), "--step");
            return (object)new { action, parameters = NullIfEmpty(parameters) };
        })];
    }

    private static string? Since(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
        {
            return at.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        }

        return (DateTimeOffset.UtcNow - Duration(text, "--since")!.Value).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
    }
}
