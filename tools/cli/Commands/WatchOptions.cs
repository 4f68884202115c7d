using System.CommandLine;
using LdFleet.Cli.Watch;
using static LdFleet.Cli.Commands.CommandKit;

namespace LdFleet.Cli.Commands;

/// <summary>--plain, --timeout and --interval of every watch.</summary>
internal sealed class WatchOptions
{
    public Option<bool> Plain { get; } = Flag("--plain", "Plain progress lines instead of a live progress bar (the default when stdout is not a terminal).");

    public Option<string?> Timeout { get; } = Text("--timeout", "Stop watching after this long (e.g. 90s, 10m); exit code 9 while it still runs.");

    public Option<string?> Interval { get; } = Text("--interval", "Time between polls of the API (default 1s).");

    public Symbol[] Symbols => [Plain, Timeout, Interval];

    public Watcher Create(CliContext context)
    {
        var settings = new WatchSettings(
            context.Parse.GetValue(Plain),
            Duration(context.Parse.GetValue(Interval), "--interval") ?? TimeSpan.FromSeconds(1),
            Duration(context.Parse.GetValue(Timeout), "--timeout"));
        return new Watcher(context.Client, context.Output, settings);
    }
}
