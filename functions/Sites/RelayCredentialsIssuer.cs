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
/// ad hoc (a queue holds at most 5 stored access policies, far fewer than sites) and can only expire. On Service Bus
/// the results queue is still a Storage queue, so its add-only SAS is issued the same way; the command queue's SAS rule
/// comes from infra/ (the app has no management rights on the namespace).
/// </summary>
internal sealed class RelayCredentialsIssuer
{
    private static readonly string[] StorageNotEnforced =
    [
        "The results queue is shared: the broker cannot tell which site sent a message, so a relay could send reports naming another site. The engine applies a command result only to an operation whose command went to the site the result names, and command and operation ids are unguessable, so a relay cannot complete another site's operations it never received; heartbeats and inventory reports naming another site are not prevented.",
        "The results-queue SAS cannot be revoked before it expires (no stored access policy); rotate the account key to revoke all of them at once.",
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
        var transport = _transport.Value;
        switch (TransportKinds.Detect(transport.ConnectionString))
        {
            case TransportKind.StorageQueues:
                return await IssueStorageAsync(new QueueServiceClient(transport.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }), siteId, cancellationToken);
            default:
                return await IssueServiceBusAsync(transport, siteId, cancellationToken);
        }
    }

    /// <summary>
    /// Service Bus commands: the results queue's add-only SAS (results travel on Storage), and what to set up for the
    /// command queue, whose SAS rule infra/ declares (<c>relay-&lt;site&gt;</c>, Listen on <c>ldfleet-site-&lt;site&gt;</c>).
    /// </summary>
    private async Task<RelayCredentials> IssueServiceBusAsync(TransportOptions transport, string siteId, CancellationToken cancellationToken)
    {
        var commands = QueueNames.Commands(siteId);
        var instructions = $"Give the relay the connection string of the SAS rule 'relay-{siteId}' (Listen only) on Service Bus queue '{commands}' as Transport:ConnectionString "
            + $"(az servicebus queue authorization-rule keys list --queue-name {commands} --name relay-{siteId}). Rotate it with 'az servicebus queue authorization-rule keys renew'.";
        string[] enforced =
        [
            $"The Service Bus rule 'relay-{siteId}' allows Listen on '{commands}' only: the relay cannot read other sites' commands nor send commands.",
            $"The results URL works on '{QueueNames.Results}' only and for add only: the relay cannot read, peek or delete results.",
        ];
        if (string.IsNullOrWhiteSpace(transport.ResultsConnectionString))
        {
            return new RelayCredentials("service-bus", null, null, enforced, ["Nothing was provisioned: the app reaches the results queue without an account key, so it cannot sign a SAS for it."],
                instructions + $" Give the relay's identity 'Storage Queue Data Message Sender' on Storage queue '{QueueNames.Results}'.");
        }

        var service = new QueueServiceClient(transport.ResultsConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var results = service.GetQueueClient(QueueNames.Results);
        await results.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        if (!results.CanGenerateSasUri)
        {
            return new RelayCredentials("service-bus", null, null, enforced, ["Nothing was provisioned: the app reaches the results queue without an account key, so it cannot sign a SAS for it."],
                instructions + $" Give the relay's identity 'Storage Queue Data Message Sender' on Storage queue '{QueueNames.Results}'.");
        }

        var expires = _time.GetUtcNow() + _options.Value.RelayCredentialLifetime;
        var queues = new Dictionary<string, QueueCredential>(StringComparer.Ordinal)
        {
            ["results"] = new(results.Name, "a", results.GenerateSasUri(QueueSasPermissions.Add, expires)),
        };
        return new RelayCredentials("service-bus", expires, queues, enforced, StorageNotEnforced, instructions);
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
