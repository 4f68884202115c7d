using LdFleet.Protocol.Sites;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Hosting;

/// <summary>Cross-field checks, so a bad install fails at start with a precise message instead of at the first command.</summary>
internal sealed class RelayOptionsValidator : IValidateOptions<RelayOptions>
{
    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (FleetIds.ValidateSiteId(options.SiteId) is { } siteError)
        {
            failures.Add($"Relay:SiteId: {siteError}");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Hosts.Count; i++)
        {
            var host = options.Hosts[i];
            var prefix = $"Relay:Hosts:{i}";
            if (FleetIds.ValidateHostId(host.Id) is { } hostError)
            {
                failures.Add($"{prefix}:Id: {hostError}");
            }
            else if (!seen.Add(host.Id))
            {
                failures.Add($"{prefix}:Id: host id '{host.Id}' is listed twice.");
            }

            if (string.IsNullOrWhiteSpace(host.LdConsolePath))
            {
                failures.Add($"{prefix}:LdConsolePath is required (the full path of ldconsole.exe).");
            }
            else if (!File.Exists(host.LdConsolePath))
            {
                failures.Add($"{prefix}:LdConsolePath: no file at '{host.LdConsolePath}'.");
            }

            if (host.CodePage <= 0)
            {
                failures.Add($"{prefix}:CodePage must be a Windows code page number such as 936.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
