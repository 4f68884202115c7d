using System.CommandLine;
using System.Globalization;
using LdFleet.Cli.Output;
using static LdFleet.Cli.Commands.CommandKit;

namespace LdFleet.Cli.Commands;

/// <summary><c>ldfleet emulators</c>: the inventory as the relays last reported it, and labels.</summary>
internal static class EmulatorsCommands
{
    private static readonly Column[] Columns =
    [
        Column.Of("ID", "id"), Column.Of("TITLE", "title"), Column.Of("STATE", "state"), Column.Of("PID", "playerPid"),
        new("RESOLUTION", e => Fields.Of(e, "width") is { Length: > 0 } w ? $"{w}x{Fields.Of(e, "height")}@{Fields.Of(e, "dpi")}" : ""),
        Column.Of("LABELS", "labels"), Column.Of("OBSERVED", "observedAt"),
    ];

    public static Command Create()
    {
        var paging = new Paging();
        var site = Text("--site", "Only this site.");
        var host = Text("--host", "Only this host.");
        var state = Text("--state", "stopped, starting or running.");
        state.AcceptOnlyFromAmong("stopped", "starting", "running");
        var label = Many("--label", "Label filter key=value (repeatable; all must match).", "-l");
        var name = Text("--name", "Title pattern with * and ?.");
        var list = new Command("list", "List emulators, filtered by site, host, state, labels and name.").With(site, host, state, label, name).With(paging.Symbols).WithAction(async (context, ct) =>
        {
            var p = context.Parse;
            var labels = p.GetValue(label) ?? [];
            _ = KeyValues(labels, "--label");
            var query = new List<KeyValuePair<string, string?>>
            {
                new("siteId", p.GetValue(site)), new("hostId", p.GetValue(host)), new("state", p.GetValue(state)), new("name", p.GetValue(name)),
            };
            query.AddRange(labels.Select(l => new KeyValuePair<string, string?>("label", l)));
            var (items, more) = await context.Client.ListAsync("/api/emulators", query, paging.Resolve(p), ct);
            context.Output.List(items, more, Columns);
            return ExitCodes.Success;
        });

        var showId = Arg("emulator", "Emulator id: site/host/index.");
        var show = new Command("show", "Show one emulator.").With(showId).WithAction(async (context, ct) =>
        {
            context.Output.Item(await context.Client.GetAsync(Path(context.Parse.GetValue(showId)!), ct));
            return ExitCodes.Success;
        });

        var labelsId = Arg("emulator", "Emulator id: site/host/index.");
        var pairs = new Argument<string[]>("labels") { Description = "key=value pairs; none clears every label.", Arity = ArgumentArity.ZeroOrMore };
        var labelsCommand = new Command("label", "Replace an emulator's labels (Fleet.Operate).").With(labelsId, pairs).WithAction(async (context, ct) =>
        {
            var body = KeyValues(context.Parse.GetValue(pairs), "label");
            context.Output.Item(await context.Client.PutAsync(Path(context.Parse.GetValue(labelsId)!) + "/labels", body, ct));
            return ExitCodes.Success;
        });

        return new Command("emulators", "The emulator inventory.").With(list, show, labelsCommand);
    }

    private static string Path(string id)
    {
        var (site, host, index) = Emulator(id);
        return $"/api/sites/{Escape(site)}/hosts/{Escape(host)}/emulators/{index.ToString(CultureInfo.InvariantCulture)}";
    }
}
