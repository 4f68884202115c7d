using System.Net.Http.Json;
using System.Text.Json;
using LdFleet.Testing.ServiceBus;

namespace LdFleet.Testing;

/// <summary>
/// The fleet with commands on Service Bus (the real SDK against <see cref="TestServiceBus"/>) instead of Storage Queues;
/// results stay on the Storage queue. The relay holds only what a site gets in Azure: its SAS rule (Listen on its own
/// command queue, as infra/ provisions it) and the add-only SAS URL of the results queue that registering the site
/// through the API returned.
/// </summary>
public sealed class ServiceBusFleetFixture : FleetFixture
{
    public const string RelayRule = "relay-" + SiteId;

    private TestServiceBus? _broker;
    private (string Queue, string Url)? _results;

    public TestServiceBus Broker => _broker!;

    public static string CommandQueue => "ldfleet-site-" + SiteId;

    protected override IReadOnlyDictionary<string, string?> CloudSettings => new Dictionary<string, string?>
    {
        ["Transport__ResultsConnectionString"] = StorageConnectionString,
    };

    protected override IReadOnlyDictionary<string, string?> RelaySettings => new Dictionary<string, string?>
    {
        ["Transport__ConnectionString"] = _broker!.ConnectionStringFor(CommandQueue, RelayRule),
        ["Relay__Credentials__Queues__results__Queue"] = _results!.Value.Queue,
        ["Relay__Credentials__Queues__results__Url"] = _results.Value.Url,
    };

    protected override async Task BeforeRelayStartsAsync()
    {
        using var response = await Api.PostAsJsonAsync(new Uri("/api/sites", UriKind.Relative), new { id = SiteId });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode || !body.GetProperty("relayCredentials").TryGetProperty("queues", out var queues) || queues.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException($"Registering site {SiteId} gave no results-queue credential: {(int)response.StatusCode} {body}");
        }

        var results = queues.GetProperty("results");
        _results = (results.GetProperty("queue").GetString()!, results.GetProperty("url").GetString()!);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    protected override Task<string?> StartTransportAsync()
    {
        // Service Bus queues come from infra/ (the app has no management rights); the lock is as short as the relay's on
        // Storage Queues in the base fixture, so a killed relay's commands come back within seconds.
        _broker = TestServiceBus.Start();
        _broker.CreateQueue(CommandQueue, new TestQueueSettings { LockDuration = TimeSpan.FromSeconds(5) });
        _broker.AddRule(CommandQueue, RelayRule, ServiceBusRights.Listen);
        return Task.FromResult<string?>(_broker.ConnectionString);
    }
}
