using System.CommandLine;
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

        return new Command("hosts", "LDPlayer hosts of a site.").With(list, show, put, delete);
    }
}
