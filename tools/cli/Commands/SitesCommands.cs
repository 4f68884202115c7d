using System.CommandLine;
using System.Text.Json;
using LdFleet.Cli.Output;
using static LdFleet.Cli.Commands.CommandKit;

namespace LdFleet.Cli.Commands;

/// <summary><c>ldfleet sites</c> and <c>ldfleet hosts</c>: LAN sites, their relays and LDPlayer hosts.</summary>
internal static class SitesCommands
{
    private static readonly Column[] SiteColumns =
    [
        Column.Of("ID", "id"), Column.Of("NAME", "displayName"), Column.Of("STATUS", "status"),
        Column.Of("LAST HEARTBEAT", "relay.lastHeartbeat"), Column.Of("VERSION", "relay.version"), Column.Of("IN FLIGHT", "relay.commandsInFlight"),
    ];

    private static readonly Column[] HostColumns =
    [
        Column.Of("SITE", "siteId"), Column.Of("ID", "id"), Column.Of("STATUS", "status"), Column.Of("CIRCUIT", "circuit.state"), Column.Of("KIND", "kind"), Column.Of("ADDRESS", "address"),
        Column.Of("CAPACITY", "capacity"), Column.Of("EMULATORS", "emulatorCount"), Column.Of("LAST INVENTORY", "lastInventoryAt"), Column.Of("LAST ERROR", "lastError"),
    ];

    public static Command Sites()
    {
        var paging = new Paging();
        var list = new Command("list", "List registered sites with their relay status.").With(paging.Symbols).WithAction(async (context, ct) =>
        {
            var (items, more) = await context.Client.ListAsync("/api/sites", [], paging.Resolve(context.Parse), ct);
            context.Output.List(items, more, SiteColumns);
            return ExitCodes.Success;
        });

        var showId = Arg("site", "Site id.");
        var show = new Command("show", "Show one site.").With(showId).WithAction(async (context, ct) =>
        {
            context.Output.Item(await context.Client.GetAsync($"/api/sites/{Escape(context.Parse.GetValue(showId)!)}", ct));
            return ExitCodes.Success;
        });

        var relayId = Arg("site", "Site id.");
        var relay = new Command("relay", "Show the site relay's last heartbeat.").With(relayId).WithAction(async (context, ct) =>
        {
            context.Output.Item(await context.Client.GetAsync($"/api/sites/{Escape(context.Parse.GetValue(relayId)!)}/relay", ct));
            return ExitCodes.Success;
        });

        var registerId = Arg("site", "New site id (lower-case letters, digits, dashes).");
        var displayName = Text("--display-name", "Human-readable name.");
        var register = new Command("register", "Register a site (Fleet.Admin). Prints the relay's credentials, shown once.").With(registerId, displayName).WithAction(async (context, ct) =>
        {
            var result = await context.Client.PostAsync("/api/sites", new { id = context.Parse.GetValue(registerId), displayName = context.Parse.GetValue(displayName) }, idempotent: false, ct);
            ConsoleOutput.WriteJson(result);
            return ExitCodes.Success;
        });

        var credentialsId = Arg("site", "Site id.");
        var credentials = new Command("credentials", "Issue new relay credentials, revoking the previous ones (Fleet.Admin).").With(credentialsId).WithAction(async (context, ct) =>
        {
            ConsoleOutput.WriteJson(await context.Client.PostAsync($"/api/sites/{Escape(context.Parse.GetValue(credentialsId)!)}/relay-credentials", null, idempotent: false, ct));
            return ExitCodes.Success;
        });

        var deleteId = Arg("site", "Site id.");
        var delete = new Command("delete", "Unregister a site: its hosts and inventory go, its relay credentials are revoked (Fleet.Admin).").With(deleteId).WithAction(async (context, ct) =>
        {
            var id = context.Parse.GetValue(deleteId)!;
            await context.Client.DeleteAsync($"/api/sites/{Escape(id)}", ct);
            context.Output.Note($"Site {id} deleted.");
            return ExitCodes.Success;
        });

        return new Command("sites", "LAN sites and their relays.").With(list, show, relay, register, credentials, delete);
    }

    public static Command Hosts()
    {
        var listSite = Arg("site", "Site id.");
        var list = new Command("list", "List a site's hosts (registered and reported) with their status.").With(listSite).WithAction(async (context, ct) =>
        {
            var (items, more) = await context.Client.ListAsync($"/api/sites/{Escape(context.Parse.GetValue(listSite)!)}/hosts", [], null, ct);
            context.Output.List(items, more, HostColumns);
            return ExitCodes.Success;
        });

        var showSite = Arg("site", "Site id.");
        var showHost = Arg("host", "Host id.");
        var show = new Command("show", "Show one host.").With(showSite, showHost).WithAction(async (context, ct) =>
        {
            context.Output.Item(await context.Client.GetAsync($"/api/sites/{Escape(context.Parse.GetValue(showSite)!)}/hosts/{Escape(context.Parse.GetValue(showHost)!)}", ct));
            return ExitCodes.Success;
        });

        var putSite = Arg("site", "Site id.");
        var putHost = Arg("host", "Host id.");
        var kind = new Option<string>("--kind") { Description = "local or ssh.", DefaultValueFactory = _ => "local" };
        kind.AcceptOnlyFromAmong("local", "ssh");
        var capacity = new Option<int>("--capacity") { Description = "Emulators the host may run at once.", Required = true };
        var address = Text("--address", "Host name or IP (optionally :port); required for ssh.");
        var put = new Command("put", "Register or update a host (Fleet.Admin).").With(putSite, putHost, kind, capacity, address).WithAction(async (context, ct) =>
        {
            var body = new { kind = context.Parse.GetValue(kind), capacity = context.Parse.GetValue(capacity), address = context.Parse.GetValue(address) };
            context.Output.Item(await context.Client.PutAsync($"/api/sites/{Escape(context.Parse.GetValue(putSite)!)}/hosts/{Escape(context.Parse.GetValue(putHost)!)}", body, ct));
            return ExitCodes.Success;
        });

        var deleteSite = Arg("site", "Site id.");
        var deleteHost = Arg("host", "Host id.");
        var delete = new Command("delete", "Unregister a host (Fleet.Admin).").With(deleteSite, deleteHost).WithAction(async (context, ct) =>
        {
            await context.Client.DeleteAsync($"/api/sites/{Escape(context.Parse.GetValue(deleteSite)!)}/hosts/{Escape(context.Parse.GetValue(deleteHost)!)}", ct);
            context.Output.Note($"Host {context.Parse.GetValue(deleteHost)} deleted.");
            return ExitCodes.Success;
        });

        var testTarget = Arg("host", "The host as site/host, e.g. lab/host-1.");
        var watchOptions = new WatchOptions();
        var test = new Command("test-connection", "Test the relay's connection to a host: reach it, run ldconsole, read list2, with the time of each stage (Fleet.Operate). Exit code: 0 passed, 6 failed.")
            .With(testTarget).With(watchOptions.Symbols).WithAction(async (context, ct) =>
            {
                var target = context.Parse.GetValue(testTarget)!.Split('/');
                if (target is not [{ Length: > 0 } site, { Length: > 0 } host])
                {
                    Console.Error.WriteLine($"'{context.Parse.GetValue(testTarget)}' is not site/host (e.g. lab/host-1).");
                    return ExitCodes.Usage;
                }

                var operation = await context.Client.PostAsync($"/api/sites/{Escape(site)}/hosts/{Escape(host)}/test-connection", null, idempotent: false, ct);
                var id = Fields.Of(operation, "id");
                if (!LdFleet.Cli.Watch.Watcher.IsTerminal(Fields.Of(operation, "status")))
                {
                    // The relay did not answer within the API's wait: follow the operation like `operations watch`.
                    var watched = await watchOptions.Create(context).WatchOperationAsync(id, ct);
                    if (watched == ExitCodes.WatchTimeout)
                    {
                        return watched;
                    }

                    operation = await context.Client.GetAsync($"/api/operations/{Escape(id)}", ct);
                }

                return ConnectionTest.Print(context, operation);
            });

        return new Command("hosts", "LDPlayer hosts of a site.").With(list, show, put, delete, test);
    }
}

/// <summary>Prints a connection test's stages from its operation.</summary>
internal static class ConnectionTest
{
    private static readonly string[] Stages = ["reach", "ldconsole", "list2"];

    public static int Print(CliContext context, JsonElement operation)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = operation.TryGetProperty("steps", out var steps) && steps.ValueKind == JsonValueKind.Array && steps.GetArrayLength() > 0
            && steps[steps.GetArrayLength() - 1].TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object
                ? d.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal);
        var status = Fields.Of(operation, "status");
        if (context.Json)
        {
            ConsoleOutput.WriteJson(operation);
        }
        else
        {
            var rows = Stages.Where(s => data.ContainsKey($"stage.{s}.ok")).Select(s => JsonSerializer.SerializeToElement(new Dictionary<string, string>
            {
                ["stage"] = s,
                ["ok"] = data.GetValueOrDefault($"stage.{s}.ok", ""),
                ["ms"] = data.GetValueOrDefault($"stage.{s}.ms", ""),
                ["detail"] = Detail(s, data),
            })).ToList();
            context.Output.List(rows, false, Column.Of("STAGE", "stage"), Column.Of("OK", "ok"), Column.Of("MS", "ms"), Column.Of("DETAIL", "detail"));
            var error = Fields.Of(operation, "error");
            Console.Out.WriteLine(status == "Succeeded"
                ? $"Connection test passed in {data.GetValueOrDefault("totalMs", "?")} ms; circuit {data.GetValueOrDefault("circuit.after", "closed")}."
                : $"Connection test {status}: {Fields.Of(operation, "errorCode")} {error}".TrimEnd());
        }

        return status == "Succeeded" ? ExitCodes.Success : ExitCodes.Failed;
    }

    private static string Detail(string stage, Dictionary<string, string> data) =>
        data.GetValueOrDefault($"stage.{stage}.error") is { Length: > 0 } error ? error : stage switch
        {
            "reach" => data.GetValueOrDefault("stage.reach.detail", ""),
            "ldconsole" => string.Join(", ", new[] { data.GetValueOrDefault("stage.ldconsole.path"), data.GetValueOrDefault("stage.ldconsole.version"), data.GetValueOrDefault("stage.ldconsole.encoding") }.Where(v => !string.IsNullOrEmpty(v))),
            _ => $"{data.GetValueOrDefault("stage.list2.emulators", "?")} emulators, {data.GetValueOrDefault("stage.list2.running", "?")} running, {data.GetValueOrDefault("stage.list2.encoding", "?")}",
        };
}
