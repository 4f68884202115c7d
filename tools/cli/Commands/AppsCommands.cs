using System.CommandLine;
using System.Net.Http.Headers;
using LdFleet.Cli.Output;
using static LdFleet.Cli.Commands.CommandKit;

namespace LdFleet.Cli.Commands;

/// <summary><c>ldfleet apps</c> (APKs stored by content hash) and <c>ldfleet audit</c>.</summary>
internal static class AppsCommands
{
    private static readonly Column[] Columns =
    [
        Column.Of("SHA256", "sha256"), Column.Of("NAME", "name"), Column.Of("SIZE", "size"), Column.Of("UPLOADED", "uploadedAt"), Column.Of("BY", "uploadedBy"),
    ];

    private static readonly Column[] AuditColumns =
    [
        Column.Of("AT", "at"), Column.Of("CALLER", "callerName"), Column.Of("ACTION", "action"), Column.Of("TARGET", "target"), Column.Of("STATUS", "status"), Column.Of("OUTCOME", "outcome"),
    ];

    public static Command Apps()
    {
        var file = new Argument<FileInfo>("apk") { Description = "The APK file." };
        file.AcceptExistingOnly();
        var name = Text("--name", "Name to store it under (default: the file name).");
        var upload = new Command("upload", "Upload an APK (Fleet.Operate). Stored once per content; workflows refer to it by its SHA-256 (e.g. -p apps=<sha256>).")
            .With(file, name)
            .WithAction(async (context, ct) =>
            {
                var apk = context.Parse.GetValue(file)!;
                context.Client.RequestTimeout = TimeSpan.FromMinutes(30);
                var app = await context.Client.PostContentAsync(
                    "/api/apps" + Api.FleetClient.QueryString([new("name", context.Parse.GetValue(name) ?? apk.Name)]),
                    () =>
                    {
                        // A new stream per attempt: a retried upload sends the whole file again (same bytes, same hash, same blob).
                        var content = new StreamContent(apk.OpenRead());
                        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.android.package-archive");
                        return content;
                    },
                    ct);
                if (context.Json)
                {
                    ConsoleOutput.WriteJson(app);
                }
                else
                {
                    context.Output.Note($"Uploaded {Fields.Of(app, "name")} ({Fields.Of(app, "size")} bytes): sha256 {Fields.Of(app, "sha256")}");
                }

                return ExitCodes.Success;
            });

        var paging = new Paging();
        var list = new Command("list", "List uploaded APKs.").With(paging.Symbols).WithAction(async (context, ct) =>
        {
            var (items, more) = await context.Client.ListAsync("/api/apps", [], paging.Resolve(context.Parse), ct);
            context.Output.List(items, more, Columns);
            return ExitCodes.Success;
        });

        var sha = Arg("sha256", "The APK's SHA-256 (lower-case hex).");
        var show = new Command("show", "Show one APK.").With(sha).WithAction(async (context, ct) =>
        {
            context.Output.Item(await context.Client.GetAsync($"/api/apps/{Escape(context.Parse.GetValue(sha)!)}", ct));
            return ExitCodes.Success;
        });

        return new Command("apps", "APKs to install on emulators.").With(upload, list, show);
    }

    public static Command Audit()
    {
        var paging = new Paging();
        var day = Text("--day", "UTC day as yyyy-MM-dd (default today).");
        var caller = Text("--caller", "Only this caller id.");
        var action = Text("--action", "Only this action.");
        var list = new Command("list", "Mutating API calls of one UTC day, newest first (Fleet.Admin).").With(day, caller, action).With(paging.Symbols).WithAction(async (context, ct) =>
        {
            var p = context.Parse;
            var (items, more) = await context.Client.ListAsync("/api/audit", [new("day", p.GetValue(day)), new("callerId", p.GetValue(caller)), new("action", p.GetValue(action))], paging.Resolve(p), ct);
            context.Output.List(items, more, AuditColumns);
            return ExitCodes.Success;
        });
        return new Command("audit", "The audit trail.").With(list);
    }
}
