using System.ComponentModel.DataAnnotations;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Azure.Storage.Sas;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Sites;

internal sealed class SitesOptions
{
    public const string SectionName = "Sites";

    /// <summary>How long relay credentials issued at registration (or rotation) stay valid.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "730.00:00:00", ErrorMessage = "Sites:RelayCredentialLifetime must be between 1 hour and 730 days.")]
    public TimeSpan RelayCredentialLifetime { get; set; } = TimeSpan.FromDays(365);
}

/// <summary>Access to one queue, as a URL carrying a SAS.</summary>
internal sealed record QueueCredential(string Queue, string Permissions, Uri Url);

/// <summary>
/// What a site's relay may use to reach the broker, and what the broker itself enforces with it. Null
/// <see cref="Queues"/> means nothing could be provisioned here; <see cref="Instructions"/> then says what to set up.
/// </summary>
internal sealed record RelayCredentials(
    string Transport,
    DateTimeOffset? ExpiresAt,
    IReadOnlyDictionary<string, QueueCredential>? Queues,
    IReadOnlyList<string> EnforcedByBroker,
    IReadOnlyList<string> NotEnforcedByBroker,
    string? Instructions);

/// <summary>
/// Issues per-site relay credentials. On Storage Queues with an account key: one SAS per queue, each limited
/// to that queue and to the operations the relay needs (its command queue: read/update/process; its poison
/// queue: add; the shared results queue: add). The command-queue SAS hang off a stored access policy on those
/// queues, so issuing new ones or deleting the site revokes the old ones at once. The results-queue SAS is
/// ad hoc (a queue holds at most 5 stored access policies, far fewer than sites) and can only expire.
/// </summary>
internal sealed class RelayCredentialsIssuer
{
    private static readonly string[] StorageNotEnforced =
    [
        "The results queue is shared: the broker cannot tell which site sent a message, so a relay could send reports naming another site. The engine applies a command result only to an operation whose command went to the site the result names, and command and operation ids are unguessable, so a relay cannot complete another site's operations it never received; heartbeats and inventory reports naming another site are not prevented.",
        "The results-queue SAS cannot be revoked before it expires (no stored access policy); rotate the account key to revoke all of them at once.",
        "The relay agent in this repository still takes a single transport connection string and cannot use per-queue URLs yet; until it does, it needs a broader credential (an account SAS or key) that the broker does not limit to its site.",
    ];

    private readonly IOptions<TransportOptions> _transport;
    private readonly IOptions<SitesOptions> _options;
    private readonly TimeProvider _time;

    public RelayCredentialsIssuer(IOptions<TransportOptions> transport, IOptions<SitesOptions> options, TimeProvider time)
    {
        _transport = transport;
        _options = options;
        _time = time;
    }

    public async Task<RelayCredentials> IssueAsync(string siteId, CancellationToken cancellationToken)
    {
        var connection = _transport.Value.ConnectionString;
        switch (TransportKinds.Detect(connection))
        {
            case TransportKind.StorageQueues:
                return await IssueStorageAsync(new QueueServiceClient(connection, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }), siteId, cancellationToken);
            case TransportKind.ServiceBus:
                return new RelayCredentials("service-bus", null, null,
                    [],
                    ["Nothing was provisioned: the app has no management rights on the namespace."],
                    $"Create a SAS rule with Listen on queue '{QueueNames.Commands(siteId)}' (site rule) and give the relay a rule with Send only on '{QueueNames.Results}'; "
                    + "Service Bus then enforces that the relay reads only its own command queue and cannot read results. It cannot enforce which site a result names (see the engine's site check).");
            default:
                return new RelayCredentials("amqp", null, null, [], ["Nothing was provisioned: plain AMQP brokers are configured by their operator."],
                    $"Give the relay a broker user that may consume '{QueueNames.Commands(siteId)}' and publish to '{QueueNames.Results}' only.");
        }
    }

    /// <summary>Revokes the site's revocable credentials (the stored access policies on its queues).</summary>
    public async Task RevokeAsync(string siteId, CancellationToken cancellationToken)
    {
        var connection = _transport.Value.ConnectionString;
        if (TransportKinds.Detect(connection) != TransportKind.StorageQueues)
        {
            return;
        }

        var service = new QueueServiceClient(connection);
        foreach (var queue in new[] { service.GetQueueClient(QueueNames.Commands(siteId)), service.GetQueueClient(QueueNames.Commands(siteId) + "-poison") })
        {
            try
            {
                await queue.SetAccessPolicyAsync([], cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
            }
        }
    }

    private async Task<RelayCredentials> IssueStorageAsync(QueueServiceClient service, string siteId, CancellationToken cancellationToken)
    {
        var commands = service.GetQueueClient(QueueNames.Commands(siteId));
        var poison = service.GetQueueClient(commands.Name + "-poison");
        var results = service.GetQueueClient(QueueNames.Results);
        await commands.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await results.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        if (!commands.CanGenerateSasUri)
        {
            return new RelayCredentials("storage-queues", null, null, [], ["Nothing was provisioned: the app reaches storage without an account key, so it cannot sign SAS."],
                $"Give the relay's Entra identity 'Storage Queue Data Message Processor' on queue '{commands.Name}' and 'Storage Queue Data Message Sender' on '{results.Name}' and '{poison.Name}'.");
        }

        var now = _time.GetUtcNow();
        var expires = now + _options.Value.RelayCredentialLifetime;
        var policy = "relay-" + now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var queues = new Dictionary<string, QueueCredential>(StringComparer.Ordinal)
        {
            ["commands"] = await PolicySasAsync(commands, policy, "rup", now, expires, cancellationToken),
            ["commandsPoison"] = await PolicySasAsync(poison, policy, "a", now, expires, cancellationToken),
            ["results"] = new(results.Name, "a", results.GenerateSasUri(QueueSasPermissions.Add, expires)),
        };
        return new RelayCredentials("storage-queues", expires, queues,
            [
                $"Each URL works on its own queue only: '{commands.Name}' (read, update, process; not add), '{poison.Name}' (add), '{results.Name}' (add).",
                "The relay cannot read other sites' commands, nor read, peek or delete results.",
                "Issuing new credentials or deleting the site revokes the command-queue URLs immediately (stored access policy).",
            ],
            StorageNotEnforced,
            null);
    }

    private static async Task<QueueCredential> PolicySasAsync(QueueClient queue, string policy, string permissions, DateTimeOffset now, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        // Replacing the queue's policies is what revokes every SAS issued under the previous one.
        await queue.SetAccessPolicyAsync(
            [new QueueSignedIdentifier { Id = policy, AccessPolicy = new QueueAccessPolicy { StartsOn = now.AddMinutes(-5), ExpiresOn = expires, Permissions = permissions } }],
            cancellationToken);
        return new QueueCredential(queue.Name, permissions, queue.GenerateSasUri(new QueueSasBuilder { QueueName = queue.Name, Identifier = policy }));
    }
}
