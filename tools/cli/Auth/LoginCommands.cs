using System.CommandLine;
using System.Text.Json;
using LdFleet.Cli.Config;
using LdFleet.Cli.Output;
using static LdFleet.Cli.Commands.CommandKit;

namespace LdFleet.Cli.Auth;

/// <summary><c>ldfleet login</c>, <c>logout</c> and <c>whoami</c>.</summary>
internal static class LoginCommands
{
    public static Command Login()
    {
        var dev = Flag("--dev", "Mint a token of the local fleet's development issuer (key from ./dev.sh's .fleet/dev-issuer.key).");
        var keyFile = Text("--key-file", $"Development issuer key file (default: ${DevToken.KeyFileVariable}, else .fleet/dev-issuer.key here or above).");
        var roles = Many("--role", "Role(s) of the dev token: Fleet.Read, Fleet.Operate, Fleet.Admin (default Fleet.Admin).");
        var name = Text("--name", "User name in the dev token (default: your login name).");
        var lifetime = Text("--lifetime", "Dev token lifetime (default 8h; the app accepts up to its own limit).");
        var issuer = Text("--issuer", $"Dev issuer (default {DevToken.DefaultIssuer}, as Auth:DevIssuer:Issuer).");
        var audience = Text("--audience", $"Dev audience (default {DevToken.DefaultAudience}, as Auth:DevIssuer:Audience).");
        var token = Text("--token", "Store this bearer token for the profile (any mode; - reads it from stdin).");
        return new Command("login", "Log in for the current profile: Entra ID device code (entra profiles), a dev token (--dev), or a given token (--token).")
            .With(dev, keyFile, roles, name, lifetime, issuer, audience, token)
            .WithAction(async (context, ct) =>
            {
                var p = context.Parse;
                var tokens = new TokenStore(context.Store);
                if (p.GetValue(token) is { } given)
                {
                    if (given == "-")
                    {
                        given = (await Console.In.ReadToEndAsync(ct)).Trim();
                    }

                    if (given.Length == 0)
                    {
                        throw new CliException(ExitCodes.Usage, "--token is empty.");
                    }

                    tokens.Set(context.ProfileName, given);
                    Report(context, given);
                    return ExitCodes.Success;
                }

                if (p.GetValue(dev) || (context.Profile.Auth == AuthMode.Dev && p.GetValue(keyFile) is not null))
                {
                    var requested = p.GetValue(roles) is { Length: > 0 } r ? r : ["Fleet.Admin"];
                    if (requested.FirstOrDefault(role => !DevToken.Roles.Contains(role)) is { } bad)
                    {
                        throw new CliException(ExitCodes.Usage, $"Unknown role '{bad}'; use {string.Join(", ", DevToken.Roles)}.");
                    }

                    var key = DevToken.ReadKey(p.GetValue(keyFile) ?? DevToken.DefaultKeyFile());
                    var minted = DevToken.Mint(
                        key,
                        p.GetValue(name) ?? Environment.UserName,
                        requested.Distinct(StringComparer.Ordinal),
                        DateTimeOffset.UtcNow,
                        Duration(p.GetValue(lifetime), "--lifetime") ?? TimeSpan.FromHours(8),
                        p.GetValue(issuer) ?? DevToken.DefaultIssuer,
                        p.GetValue(audience) ?? DevToken.DefaultAudience);
                    tokens.Set(context.ProfileName, minted);
                    Report(context, minted);
                    return ExitCodes.Success;
                }

                if (context.Profile.Auth == AuthMode.Entra)
                {
                    var result = await new EntraAuth(context.ProfileName, context.Profile, context.Store).LoginAsync(Console.Error, ct);
                    context.Output.Note($"Logged in to profile '{context.ProfileName}' as {result.Account.Username} (token valid until {result.ExpiresOn:u}).");
                    return ExitCodes.Success;
                }

                throw new CliException(ExitCodes.Usage, $"Profile '{context.ProfileName}' uses {context.Profile.Auth.ToString().ToLowerInvariant()} auth: log in with --dev (local fleet) or --token <token>.", ["For Entra ID: ldfleet config set <profile> --auth entra --tenant ... --client-id ... --scope ..."]);
            });
    }

    public static Command Logout() =>
        new Command("logout", "Forget the current profile's token (and Entra ID session).").WithAction(async (context, _) =>
        {
            var removed = new TokenStore(context.Store).Remove(context.ProfileName);
            if (context.Profile.Auth == AuthMode.Entra)
            {
                await new EntraAuth(context.ProfileName, context.Profile, context.Store).LogoutAsync();
                removed = true;
            }

            context.Output.Note(removed ? $"Logged out of profile '{context.ProfileName}'." : $"Profile '{context.ProfileName}' was not logged in.");
            return ExitCodes.Success;
        });

    public static Command WhoAmI() =>
        new Command("whoami", "Show who the current token belongs to, its roles and expiry (read locally from the token; not validated).").WithAction(async (context, ct) =>
        {
            var token = await context.AcquireTokenAsync(ct);
            var payload = Jwt.Payload(token) ?? throw new CliException(ExitCodes.Auth, "The token is not a JWT; cannot show its claims.");
            if (context.Json)
            {
                ConsoleOutput.WriteJson(payload);
                return ExitCodes.Success;
            }

            var roles = payload.TryGetProperty("roles", out var r) ? Fields.Format(r) : "";
            var expires = Jwt.ExpiresAt(token);
            context.Output.Note($"{Fields.Of(payload, "name")} (oid {Fields.Of(payload, "oid")}) on profile '{context.ProfileName}' at {context.ApiUrl}; roles: {roles}; expires {expires:u}");
            return ExitCodes.Success;
        });

    private static void Report(CliContext context, string token)
    {
        var payload = Jwt.Payload(token);
        var roles = payload is { } p && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("roles", out var r) ? Fields.Format(r) : "?";
        var expires = Jwt.ExpiresAt(token);
        context.Output.Note($"Logged in to profile '{context.ProfileName}' ({context.ApiUrl}) with roles {roles}{(expires is { } e ? $", valid until {e:u}" : "")}.");
    }
}
