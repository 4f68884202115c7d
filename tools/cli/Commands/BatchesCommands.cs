using System.CommandLine;
using LdFleet.Cli.Output;
using static LdFleet.Cli.Commands.CommandKit;

namespace LdFleet.Cli.Commands;

/// <summary><c>ldfleet batches</c>: one workflow over many emulators chosen by a selector, with limits.</summary>
internal static class BatchesCommands
{
    private static readonly Column[] ItemColumns =
    [
        Column.Of("SEQ", "seq"), Column.Of("SITE", "siteId"), Column.Of("HOST", "hostId"), Column.Of("INDEX", "index"), Column.Of("TITLE", "title"),
        Column.Of("STATUS", "status"), Column.Of("OPERATION", "operationId"), Column.Of("ERROR", "errorCode"),
    ];

    public static Command Create() =>
        new Command("batches", "Workflows over many emulators: start (with a selector and limits), show, items, watch, cancel.")
            .With(Start(), Show(), Items(), WatchCommand(), Cancel());

    private static Command Start()
    {
        var workflow = Arg("workflow", OperationsCommands.WorkflowHelp);
        var sites = Many("--site", "Sites to select from (repeatable).");
        var hosts = Many("--host", "Only these hosts (repeatable).");
        var labels = Many("--label", "Label filter key=value (repeatable; all must match).", "-l");
        var name = Text("--name", "Title pattern with * and ?.");
        var states = Many("--state", "Only emulators in these states: stopped, starting, running (repeatable).");
        var targets = Many("--target", "Explicit target site/host/index (repeatable; instead of the filters).");
        var parameters = Many("--param", "Workflow parameter key=value (repeatable).", "-p");
        var steps = Many("--step", "For 'sequence': action[:key=value,key=value] (repeatable, in order).");
        var maxConcurrency = Text("--max-concurrency", "Children running at once: a count or a percentage such as 10% (default 50).");
        var maxPerHost = Text("--max-concurrency-per-host", "Children running at once per host: a count or a percentage.");
        var maxErrors = Text("--max-errors", "Failures tolerated before no new children start: a count (0 stops at the first) or a percentage (default unlimited).");
        var watch = Flag("--watch", "Follow the batch with a progress bar until it ends; the exit code tells how it ended.", "-w");
        var watchOptions = new WatchOptions();
        return new Command("start", "Start a batch (Fleet.Operate). Select by --site with optional --host/--label/--name/--state, or list --target emulators.")
            .With(workflow, sites, hosts, labels, name, states, targets, parameters, steps, maxConcurrency, maxPerHost, maxErrors, watch).With(watchOptions.Symbols)
            .WithAction(async (context, ct) =>
            {
                var p = context.Parse;
                var explicitTargets = (p.GetValue(targets) ?? []).Select(t =>
                {
                    var (site, host, index) = Emulator(t);
                    return new { siteId = site, hostId = host, index };
                }).ToList();
                _ = KeyValues(p.GetValue(labels), "--label");
                var selector = new
                {
                    siteIds = Nullable(p.GetValue(sites)),
                    hostIds = Nullable(p.GetValue(hosts)),
                    labels = Nullable(p.GetValue(labels)),
                    namePattern = p.GetValue(name),
                    states = Nullable(p.GetValue(states)),
                    targets = explicitTargets.Count == 0 ? null : explicitTargets,
                };
                if (selector.siteIds is null && selector.targets is null)
                {
                    throw new CliException(ExitCodes.Usage, "Select the emulators: --site (with optional --host, --label, --name, --state) or --target site/host/index.");
                }

                var body = new
                {
                    workflow = p.GetValue(workflow),
                    parameters = OperationsCommands.NullIfEmpty(KeyValues(p.GetValue(parameters), "--param")),
                    steps = OperationsCommands.Steps(p.GetValue(steps)),
                    selector,
                    maxConcurrency = p.GetValue(maxConcurrency),
                    maxConcurrencyPerHost = p.GetValue(maxPerHost),
                    maxErrors = p.GetValue(maxErrors),
                };
                var batch = await context.Client.PostAsync("/api/batches", body, idempotent: true, ct);
                var batchId = Fields.Of(batch, "id");
                if (!p.GetValue(watch))
                {
                    if (context.Json)
                    {
                        ConsoleOutput.WriteJson(batch);
                    }
                    else
                    {
                        context.Output.Note($"Started batch {batchId}: {Fields.Of(batch, "workflow")} on {Fields.Of(batch, "total")} emulators. Follow it: ldfleet batches watch {batchId}");
                    }

                    return ExitCodes.Success;
                }

                // The id first, so a watch that is interrupted can be resumed.
                Console.Error.WriteLine($"Started batch {batchId} ({Fields.Of(batch, "total")} emulators).");
                return await watchOptions.Create(context).WatchBatchAsync(batchId, ct);
            });
    }

    private static Command Show()
    {
        var id = Arg("batch", "Batch id.");
        return new Command("show", "Show a batch with its counts.").With(id).WithAction(async (context, ct) =>
        {
            context.Output.Item(await context.Client.GetAsync($"/api/batches/{Escape(context.Parse.GetValue(id)!)}", ct));
            return ExitCodes.Success;
        });
    }

    private static Command Items()
    {
        var id = Arg("batch", "Batch id.");
        var paging = new Paging();
        return new Command("items", "List a batch's targets with their status and child operation.").With(id).With(paging.Symbols).WithAction(async (context, ct) =>
        {
            var (items, more) = await context.Client.ListAsync($"/api/batches/{Escape(context.Parse.GetValue(id)!)}/items", [], paging.Resolve(context.Parse), ct);
            context.Output.List(items, more, ItemColumns);
            return ExitCodes.Success;
        });
    }

    private static Command WatchCommand()
    {
        var id = Arg("batch", "Batch id.");
        var watchOptions = new WatchOptions();
        return new Command("watch", "Follow a batch: live progress bar with succeeded/failed/running counts and ETA (plain lines without a terminal). Exit code: 0 succeeded, 6 failed, 8 cancelled, 9 --timeout elapsed.")
            .With(id).With(watchOptions.Symbols)
            .WithAction((context, ct) => watchOptions.Create(context).WatchBatchAsync(context.Parse.GetValue(id)!, ct));
    }

    private static Command Cancel()
    {
        var id = Arg("batch", "Batch id.");
        return new Command("cancel", "Cancel a batch: nothing new starts, running children are cancelled (Fleet.Operate).").With(id).WithAction(async (context, ct) =>
        {
            var batch = await context.Client.PostAsync($"/api/batches/{Escape(context.Parse.GetValue(id)!)}/cancel", null, idempotent: false, ct);
            if (context.Json)
            {
                ConsoleOutput.WriteJson(batch);
            }
            else
            {
                context.Output.Note($"Cancel requested for batch {Fields.Of(batch, "id")} (now {Fields.Of(batch, "status")}).");
            }

            return ExitCodes.Success;
        });
    }

    private static string[]? Nullable(string[]? values) => values is { Length: > 0 } ? values : null;
}
