using System.Globalization;

namespace LdFleet.Functions.Api.Security;

/// <summary>
/// <c>LdFleet.Functions dev-token [--role Fleet.Admin]... [--name alice] [--lifetime 08:00:00]</c>: prints a
/// token of the development issuer, with the app's own configuration (so the same key), and only where the
/// app itself would accept it (Development, issuer enabled).
/// </summary>
internal static class DevTokenCommand
{
    public const string Name = "dev-token";

    public static bool IsInvoked(string[] args) => args is [Name, ..];

    public static int Run(string[] args, IConfiguration configuration, IHostEnvironment environment, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        var roles = new List<string>();
        var name = Environment.UserName;
        TimeSpan? lifetime = null;
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--role" when value is not null && FleetRoles.All.Contains(value):
                    roles.Add(value);
                    i++;
                    break;
                case "--name" when !string.IsNullOrWhiteSpace(value):
                    name = value;
                    i++;
                    break;
                case "--lifetime" when TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var parsed) && parsed > TimeSpan.Zero:
                    lifetime = parsed;
                    i++;
                    break;
                default:
                    error.WriteLine($"usage: {Name} [--role {string.Join('|', FleetRoles.All)}]... [--name NAME] [--lifetime HH:MM:SS]  (bad argument '{args[i]}')");
                    return 2;
            }
        }

        var options = new DevIssuerOptions();
        configuration.GetSection(DevIssuerOptions.SectionName).Bind(options);
        if (!environment.IsDevelopment() || !options.Enabled || options.KeyBytes() is null)
        {
            error.WriteLine("The development issuer is off: it needs ASPNETCORE_ENVIRONMENT=Development, Auth__DevIssuer__Enabled=true and Auth__DevIssuer__SigningKey (base64, 32+ bytes), the same settings the running app has.");
            return 2;
        }

        output.WriteLine(DevTokenIssuer.Mint(options, name, roles.Count == 0 ? [FleetRoles.Read] : roles, DateTimeOffset.UtcNow, lifetime));
        return 0;
    }
}
