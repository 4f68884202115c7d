using System.CommandLine;
using LdFleet.Cli.Auth;
using LdFleet.Cli.Commands;
using LdFleet.Cli.Config;

namespace LdFleet.Cli;

/// <summary>The command tree and how one invocation runs: parse, act, map failures to messages and exit codes.</summary>
internal static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand($"""
            ldfleet: control LDPlayer emulator fleets through the LdFleet API.

            Start: ldfleet config set local --url http://127.0.0.1:5080 && ldfleet login --dev
            Environment: LDFLEET_CONFIG (config file), LDFLEET_PROFILE, LDFLEET_API_URL, LDFLEET_TOKEN (bearer token; overrides login).
            {ExitCodes.HelpText}
            """);
        root.Options.Add(GlobalOptions.Profile);
        root.Options.Add(GlobalOptions.ApiUrl);
        root.Options.Add(GlobalOptions.Json);
        root.Subcommands.Add(LoginCommands.Login());
        root.Subcommands.Add(LoginCommands.Logout());
        root.Subcommands.Add(LoginCommands.WhoAmI());
        root.Subcommands.Add(ConfigCommands.Create());
        root.Subcommands.Add(SitesCommands.Sites());
        root.Subcommands.Add(SitesCommands.Hosts());
        root.Subcommands.Add(EmulatorsCommands.Create());
        root.Subcommands.Add(OperationsCommands.Create());
        root.Subcommands.Add(BatchesCommands.Create());
        root.Subcommands.Add(AppsCommands.Apps());
        root.Subcommands.Add(AppsCommands.Audit());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter error)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine($"error: {parseError.Message}");
            }

            error.WriteLine($"See: {string.Join(' ', ["ldfleet", .. CommandPath(parse), "--help"])}");
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CliException ex)
        {
            error.WriteLine($"error: {ex.Message}");
            foreach (var line in ex.Details)
            {
                error.WriteLine(line);
            }

            return ex.ExitCode;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("Interrupted. Operations and batches keep running on the server; watch them again with `ldfleet operations watch <id>` or `ldfleet batches watch <id>`.");
            return ExitCodes.Interrupted;
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new Stack<string>();
        for (var result = parse.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Push(result.Command.Name);
        }

        return names;
    }
}
