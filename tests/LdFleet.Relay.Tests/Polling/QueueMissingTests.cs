using LdFleet.Testing;
using LdFleet.Testing.ServiceBus;

namespace LdFleet.Relay.Tests.Polling;

/// <summary>
/// A relay started before its command queue exists (the site is not registered or provisioned yet) says so in one line,
/// without a stack trace, waits, and starts taking commands once the queue is there.
/// </summary>
public sealed class QueueMissingTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("relay-missing-").FullName;
    private TestServiceBus? _broker;

    public Task InitializeAsync()
    {
        _broker = TestServiceBus.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _broker!.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task CommandQueueMissing_OneLineWhileWaiting_ThenListens()
    {
        using var host = await SimulatedHost.CreateAsync("pc-1", 1);
        await using var relay = ChildProcess.Start("relay", "dotnet", ["exec", RepoPaths.RelayDll], new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Relay__SiteId"] = "early",
            ["Relay__JournalPath"] = Path.Combine(_dir, "journal.db"),
            ["Relay__Hosts__0__Id"] = host.Id,
            ["Relay__Hosts__0__LdConsolePath"] = RepoPaths.Simulator,
            ["Relay__Hosts__0__Environment__LDSIM_HOME"] = host.Home,
            ["Transport__ConnectionString"] = _broker!.ConnectionString,
            ["Transport__ResultsConnectionString"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Zm9v;QueueEndpoint=http://127.0.0.1:{FreePort.Next()}/devstoreaccount1",
            ["Transport__ServiceBus__RetryDelay"] = "00:00:00.100",
            ["Transport__ServiceBus__MaxRetries"] = "1",
        });

        var line = await relay.WaitForLineAsync(l => l.Contains("does not exist yet", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.Contains("ldfleet-site-early", line, StringComparison.Ordinal);
        Assert.Contains("MessagingEntityNotFound", line, StringComparison.Ordinal);

        // The processor keeps retrying; each retry must stay quiet.
        await Poll.UntilAsync(() => Task.FromResult(_broker.PutTokens.Count), n => n >= 6, TimeSpan.FromSeconds(60), "the relay to retry a few times");
        var listener = relay.Lines.Where(l => l.Contains("CommandListener", StringComparison.Ordinal)).ToList();
        Assert.Single(listener, l => l.Contains("does not exist yet", StringComparison.Ordinal));
        Assert.DoesNotContain(listener, l => l.Contains("[5002]", StringComparison.Ordinal));
        Assert.DoesNotContain(relay.Lines, l => l.TrimStart().StartsWith("at Azure.Messaging.ServiceBus", StringComparison.Ordinal));

        // Once the queue exists the relay takes its commands.
        _broker.CreateQueue("ldfleet-site-early");
        await using var cloud = ServiceBusClientFor(_broker.ConnectionString);
        await using var sender = cloud.CreateSender("ldfleet-site-early");
        await sender.SendMessageAsync(new Azure.Messaging.ServiceBus.ServiceBusMessage("not a command"));
        await Poll.UntilAsync(() => Task.FromResult(_broker.ActiveCount("ldfleet-site-early/$deadletterqueue")), n => n == 1, TimeSpan.FromSeconds(60), "the relay to take the message (and dead-letter it: it is not a command)\n" + relay.Tail());
    }

    private static Azure.Messaging.ServiceBus.ServiceBusClient ServiceBusClientFor(string connectionString) => new(connectionString);
}
