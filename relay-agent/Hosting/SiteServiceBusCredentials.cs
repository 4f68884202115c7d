using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;
using LdFleet.Protocol.Transport.Amqp;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Hosting;

/// <summary>
/// A relay's Service Bus credentials when they are two entity-level SAS rules (infra/modules/servicebus.bicep): one
/// on the site's command queue, one on the results queue. The transport then connects with the endpoint alone and
/// asks this provider for a CBS token per queue, signed with that queue's key (reference A.2).
/// </summary>
internal static class SiteServiceBusCredentials
{
    private const string ResultsKey = RelayOptions.SectionName + ":" + nameof(RelayOptions.ResultsConnectionString);
    private const string TransportKey = TransportOptions.SectionName + ":" + nameof(TransportOptions.ConnectionString);

    /// <summary>Registers the per-queue token provider when <c>Relay:ResultsConnectionString</c> is set.</summary>
    public static HostApplicationBuilder AddSiteServiceBusCredentials(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RelayOptions>, Validator>());
        if (string.IsNullOrWhiteSpace(builder.Configuration[ResultsKey]))
        {
            return builder;
        }

        // The transport sees only the endpoint, so it takes its CBS tokens from the provider below; keys stay here.
        builder.Services.AddOptions<TransportOptions>().PostConfigure(o =>
        {
            if (SasConnection.TryParse(o.ConnectionString, out var commands, out _))
            {
                o.ConnectionString = commands.EndpointOnly;
            }
        });
        builder.Services.AddSingleton<IServiceBusTokenProvider>(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var relay = sp.GetRequiredService<IOptions<RelayOptions>>().Value;
            var errors = Check(configuration[TransportKey], relay.ResultsConnectionString, relay.SiteId, out var rules);
            return rules is not null
                ? new SiteSasTokenProvider(rules.Value.Commands, rules.Value.Results, sp.GetRequiredService<IOptions<AmqpTransportOptions>>().Value.SasTokenLifetime, sp.GetRequiredService<TimeProvider>())
                : throw new OptionsValidationException(ResultsKey, typeof(RelayOptions), errors);
        });
        return builder;
    }

    /// <summary>
    /// Checks the two connection strings against each other and the site; the messages name settings, never keys.
    /// Empty when they are usable.
    /// </summary>
    internal static List<string> Check(string? transport, string? results, string siteId, out (SasConnection Commands, SasConnection Results)? rules)
    {
        rules = null;
        var errors = new List<string>();
        if (!SasConnection.TryParse(transport, out var commands, out var commandsError))
        {
            errors.Add($"{TransportKey}: {commandsError} With {ResultsKey} set, it must be the connection string of the site's SAS rule on its command queue.");
        }

        if (!SasConnection.TryParse(results, out var answers, out var resultsError))
        {
            errors.Add($"{ResultsKey}: {resultsError}");
        }

        if (commands is null || answers is null)
        {
            return errors;
        }

        if (!string.Equals(commands.Host, answers.Host, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{ResultsKey} names namespace '{answers.Host}' but {TransportKey} names '{commands.Host}'; both rules belong to one Service Bus namespace.");
        }

        var commandQueue = FleetIds.ValidateSiteId(siteId) is null ? QueueNames.Commands(siteId) : null;
        if (commands.EntityPath is { } path && commandQueue is not null && !string.Equals(path, commandQueue, StringComparison.Ordinal))
        {
            errors.Add($"{TransportKey} is a rule on queue '{path}', but site '{siteId}' receives from '{commandQueue}'.");
        }

        if (answers.EntityPath is { } resultsPath && !string.Equals(resultsPath, QueueNames.Results, StringComparison.Ordinal))
        {
            errors.Add($"{ResultsKey} is a rule on queue '{resultsPath}', but results go to '{QueueNames.Results}'.");
        }

        if (errors.Count == 0 && commandQueue is not null)
        {
            rules = (commands with { EntityPath = commandQueue }, answers with { EntityPath = QueueNames.Results });
        }

        return errors;
    }

    private sealed class Validator(IConfiguration configuration) : IValidateOptions<RelayOptions>
    {
        public ValidateOptionsResult Validate(string? name, RelayOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            if (string.IsNullOrWhiteSpace(options.ResultsConnectionString))
            {
                return ValidateOptionsResult.Skip;
            }

            var errors = Check(configuration[TransportKey], options.ResultsConnectionString, options.SiteId, out _);
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}

/// <summary>One Service Bus SAS rule as its connection string gives it (what <c>az ... keys list</c> prints).</summary>
internal sealed record SasConnection(string Host, string KeyName, string Key, string? EntityPath, string EndpointOnly)
{
    // The key must not appear in logs or exception messages, and a record prints every property.
    public override string ToString() => $"{KeyName}@{Host}/{EntityPath}";

    public static bool TryParse(string? connectionString, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SasConnection? connection, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        connection = null;
        if (TransportKinds.Detect(connectionString) != TransportKind.ServiceBus)
        {
            error = "is not a Service Bus connection string (Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=...;SharedAccessKey=...).";
            return false;
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2);
            if (pair.Length == 2)
            {
                values[pair[0].Trim()] = pair[1].Trim();
            }
        }

        if (!values.TryGetValue("Endpoint", out var endpoint) || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme != "sb")
        {
            error = "has no Endpoint=sb://<namespace>.servicebus.windows.net/.";
            return false;
        }

        if (!values.TryGetValue("SharedAccessKeyName", out var keyName) || keyName.Length == 0
            || !values.TryGetValue("SharedAccessKey", out var key) || key.Length == 0)
        {
            error = "must carry a SAS rule: SharedAccessKeyName and SharedAccessKey.";
            return false;
        }

        // Keep what shapes the connection (WebSockets on 443, the emulator's plain AMQP); drop the credential.
        var endpointOnly = new StringBuilder("Endpoint=").Append(endpoint);
        foreach (var kept in (string[])["TransportType", "UseDevelopmentEmulator"])
        {
            if (values.TryGetValue(kept, out var value))
            {
                endpointOnly.Append(';').Append(kept).Append('=').Append(value);
            }
        }

        values.TryGetValue("EntityPath", out var entityPath);
        connection = new SasConnection(uri.Authority, keyName, key, string.IsNullOrEmpty(entityPath) ? null : entityPath, endpointOnly.ToString());
        error = null;
        return true;
    }
}

/// <summary>
/// Signs a CBS token per queue with that queue's own rule. The token's resource is the queue itself, which also
/// covers the queue's <c>$management</c> node (lock renewal), as SAS rules apply to everything below their entity.
/// </summary>
internal sealed class SiteSasTokenProvider : IServiceBusTokenProvider
{
    private readonly SasConnection _commands;
    private readonly SasConnection _results;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    public SiteSasTokenProvider(SasConnection commands, SasConnection results, TimeSpan lifetime, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(time);
        _commands = commands;
        _results = results;
        _lifetime = lifetime;
        _time = time;
    }

    public ValueTask<ServiceBusAccessToken> GetTokenAsync(string audience, CancellationToken cancellationToken)
    {
        var uri = new Uri(audience);
        var entity = uri.AbsolutePath.Trim('/').Split('/')[0];
        var rule = entity == _commands.EntityPath ? _commands
            : entity == _results.EntityPath ? _results
            : throw new UnauthorizedAccessException($"The relay holds no SAS rule for '{entity}'; it has rules for '{_commands.EntityPath}' and '{_results.EntityPath}' only.");
        var expiresAt = _time.GetUtcNow() + _lifetime;
        var token = Sign($"sb://{uri.Authority}/{entity}", rule.KeyName, rule.Key, expiresAt);
        return ValueTask.FromResult(new ServiceBusAccessToken(token, ServiceBusAccessToken.SasTokenType, expiresAt));
    }

    /// <summary>The SAS token format of reference A.2: HMAC-SHA256 over the URL-encoded resource, a newline and the expiry.</summary>
    internal static string Sign(string resource, string keyName, string key, DateTimeOffset expiresAt)
    {
        var encodedResource = WebUtility.UrlEncode(resource);
        var expiry = expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(encodedResource + "\n" + expiry)));
        return $"SharedAccessSignature sr={encodedResource}&sig={WebUtility.UrlEncode(signature)}&se={expiry}&skn={WebUtility.UrlEncode(keyName)}";
    }
}
