using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Hosting;

/// <summary>
/// Runs the relay on the per-queue credentials the API issues (<c>Relay:Credentials</c>): each issued queue URL becomes
/// <c>Transport:QueueUrls:&lt;queue&gt;</c>, so the transport reaches that queue with that SAS and nothing broader.
/// </summary>
internal static class RelayCredentials
{
    public static HostApplicationBuilder AddRelayCredentials(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RelayOptions>, Validator>());
        // Read from configuration, not IOptions<RelayOptions>: resolving those here would run their validation inside the
        // transport's, and one bad relay setting would hide every transport setting to fix.
        builder.Services.AddOptions<TransportOptions>().PostConfigure<IConfiguration>((transport, configuration) =>
        {
            var credentials = configuration.GetSection(RelayOptions.SectionName + ":" + nameof(RelayOptions.Credentials)).Get<IssuedRelayCredentials>();
            foreach (var issued in credentials?.Queues.Values ?? Enumerable.Empty<IssuedQueueCredential>())
            {
                if (issued.Url is not null && issued.Queue.Length > 0)
                {
                    transport.QueueUrls[issued.Queue] = issued.Url;
                }
            }
        });
        return builder;
    }

    /// <summary>The issued queues must be this site's; the messages name settings, never the SAS.</summary>
    private sealed class Validator : IValidateOptions<RelayOptions>
    {
        public ValidateOptionsResult Validate(string? name, RelayOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            if (options.Credentials is not { Queues.Count: > 0 } credentials)
            {
                return ValidateOptionsResult.Skip;
            }

            var failures = new List<string>();
            var commands = FleetIds.ValidateSiteId(options.SiteId) is null ? QueueNames.Commands(options.SiteId) : null;
            foreach (var (role, issued) in credentials.Queues)
            {
                if (issued.Url is null || !issued.Url.IsAbsoluteUri)
                {
                    failures.Add($"Relay:Credentials:Queues:{role}:Url must be the queue's SAS URL as the API issued it.");
                }

                var expected = role.ToLowerInvariant() switch
                {
                    "commands" => commands,
                    "commandspoison" => commands is null ? null : commands + "-poison",
                    "results" => QueueNames.Results,
                    _ => null,
                };
                if (expected is not null && !string.Equals(issued.Queue, expected, StringComparison.Ordinal))
                {
                    failures.Add($"Relay:Credentials:Queues:{role} is for queue '{issued.Queue}', but site '{options.SiteId}' uses '{expected}': these credentials were issued for another site.");
                }
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
