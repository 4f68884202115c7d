using System.CommandLine;
using LdFleet.Cli.Auth;
using LdFleet.Cli.Commands;
using LdFleet.Cli.Output;
using Spectre.Console;
using static LdFleet.Cli.Commands.CommandKit;

namespace LdFleet.Cli.Config;

/// <summary><c>ldfleet config</c>: named profiles, one per deployment.</summary>
internal static class ConfigCommands
{
    public static Command Create()
    {
        var setName = Arg("name", "Profile name (created if missing).");
        var apiUrl = Text("--url", "The API's base URL, e.g. https://ldfleet-api.azurewebsites.net or http://127.0.0.1:5080.");
        var auth = new Option<AuthMode?>("--auth") { Description = "dev (local fleet), token (a given bearer token) or entra (Entra ID device code)." };
        var tenant = Text("--tenant", "Entra: tenant (directory) id or domain.");
        var clientId = Text("--client-id", "Entra: the CLI's public client application id.");
        var scope = Text("--scope", "Entra: API scope, e.g. api://<api-app-id>/.default.");
        var instance = Text("--instance", "Entra: authority host (default https://login.microsoftonline.com/).");
        var set = new Command("set", "Create or update a profile; the first profile becomes the current one.")
            .With(setName, apiUrl, auth, tenant, clientId, scope, instance)
            .SetLocal((parse, store) =>
            {
                var name = parse.GetValue(setName)!;
                if (name.Length is 0 or > 64 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
                {
                    throw new CliException(ExitCodes.Usage, $"'{name}' is not a profile name: 1 to 64 letters, digits, '-', '_' or '.'.");
                }

                var config = store.Load();
                config.Profiles.TryGetValue(name, out var existing);
                var url = parse.GetValue(apiUrl) ?? existing?.ApiUrl
                    ?? throw new CliException(ExitCodes.Usage, $"Profile '{name}' is new: give its --url.");
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    throw new CliException(ExitCodes.Usage, $"--url '{url}' is not an http(s) URL.");
                }

                var profile = new Profile
                {
                    ApiUrl = url.TrimEnd('/'),
                    Auth = parse.GetValue(auth) ?? existing?.Auth ?? AuthMode.Dev,
                    TenantId = parse.GetValue(tenant) ?? existing?.TenantId,
                    ClientId = parse.GetValue(clientId) ?? existing?.ClientId,
                    Scope = parse.GetValue(scope) ?? existing?.Scope,
                    Instance = parse.GetValue(instance) ?? existing?.Instance,
                };
                config.Profiles[name] = profile;
                store.Save(config with { CurrentProfile = config.CurrentProfile ?? name });
                Console.Out.WriteLine($"Profile '{name}' saved in {store.ConfigFile}{(config.CurrentProfile is null || config.CurrentProfile == name ? " (current)" : "")}.");
                return ExitCodes.Success;
            });

        var useName = Arg("name", "Profile name.");
        var use = new Command("use", "Make a profile the current one.").With(useName).SetLocal((parse, store) =>
        {
            var name = parse.GetValue(useName)!;
            var config = store.Load();
            if (!config.Profiles.ContainsKey(name))
            {
                throw new CliException(ExitCodes.Usage, $"There is no profile '{name}'.", [$"Profiles: {string.Join(", ", config.Profiles.Keys.Order(StringComparer.Ordinal))}"]);
            }

            store.Save(config with { CurrentProfile = name });
            Console.Out.WriteLine($"Current profile: {name}");
            return ExitCodes.Success;
        });

        var list = new Command("list", "List profiles; * marks the current one.").SetLocal((parse, store) =>
        {
            var config = store.Load();
            if (parse.GetValue(GlobalOptions.Json))
            {
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(config, ConfigStore.Json));
                return ExitCodes.Success;
            }

            var table = new Table().Border(TableBorder.Simple).AddColumns("", "NAME", "API URL", "AUTH");
            foreach (var (name, profile) in config.Profiles.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                table.AddRow(name == config.CurrentProfile ? "*" : "", Markup.Escape(name), Markup.Escape(profile.ApiUrl), profile.Auth.ToString().ToLowerInvariant());
            }

            new ConsoleOutput(false).Console.Write(table);
            return ExitCodes.Success;
        });

        var showName = new Argument<string?>("name") { Description = "Profile name (default: the one in effect).", Arity = ArgumentArity.ZeroOrOne };
        var show = new Command("show", "Show a profile, the config file and the login state.").With(showName).WithAction((context, _) =>
        {
            var name = context.Parse.GetValue(showName) ?? context.ProfileName;
            var profile = name == context.ProfileName ? context.Profile : context.Config.Profiles.GetValueOrDefault(name)
                ?? throw new CliException(ExitCodes.Usage, $"There is no profile '{name}'.");
            var token = new TokenStore(context.Store).Get(name);
            var login = profile.Auth == AuthMode.Entra ? $"entra (cache {context.Store.MsalCacheFile(name)})"
                : token is null ? "not logged in"
                : token.ExpiresAt is { } expires ? (expires > DateTimeOffset.UtcNow ? $"token valid until {expires:u}" : $"token expired at {expires:u}")
                : "token stored";
            var view = new Dictionary<string, string?>
            {
                ["profile"] = name + (context.SavedProfile is null && name == context.ProfileName ? " (implicit: no config)" : ""),
                ["configFile"] = context.Store.ConfigFile,
                ["apiUrl"] = name == context.ProfileName ? context.ApiUrl.ToString().TrimEnd('/') : profile.ApiUrl,
                ["auth"] = profile.Auth.ToString().ToLowerInvariant(),
                ["tenantId"] = profile.TenantId,
                ["clientId"] = profile.ClientId,
                ["scope"] = profile.Scope,
                ["login"] = login,
            };
            context.Output.Item(System.Text.Json.JsonSerializer.SerializeToElement(view.Where(v => v.Value is not null).ToDictionary()));
            return Task.FromResult(ExitCodes.Success);
        });

        var deleteName = Arg("name", "Profile name.");
        var delete = new Command("delete", "Delete a profile and its stored token.").With(deleteName).SetLocal((parse, store) =>
        {
            var name = parse.GetValue(deleteName)!;
            var config = store.Load();
            if (!config.Profiles.Remove(name))
            {
                throw new CliException(ExitCodes.Usage, $"There is no profile '{name}'.");
            }

            new TokenStore(store).Remove(name);
            store.Save(config with { CurrentProfile = config.CurrentProfile == name ? null : config.CurrentProfile });
            Console.Out.WriteLine($"Profile '{name}' deleted.");
            return ExitCodes.Success;
        });

        return new Command("config", $"Profiles for several deployments, in {ConfigStore.ConfigVariable} or ~/.config/ldfleet/config.json.").With(set, use, list, show, delete);
    }

    /// <summary>An action that only touches the config file (no profile resolution, no API).</summary>
    private static Command SetLocal(this Command command, Func<ParseResult, ConfigStore, int> action)
    {
        command.SetAction(parse => action(parse, ConfigStore.FromEnvironment()));
        return command;
    }
}
