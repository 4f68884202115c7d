using System.Net.Http.Json;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Durable.SelfHosted;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Functions.Tests.Api;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Transport;
using LdFleet.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>
/// The cloud app in-process with its real Durable Task backend on a private Azurite, tuned for quick tests: short
/// delivery deadlines, no answer grace, sub-second retry delays. Tests drive it over HTTP and answer its commands
/// with a <see cref="ScriptedRelay"/> per site.
/// </summary>
public sealed class OperationsFixture : IAsyncLifetime
{
    private AzuriteServer? _azurite;

    public FleetApp App { get; private set; } = null!;

    public HttpClient Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteServer.StartAsync();
        App = FleetApp.Start(_azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Operations:DeliveryTimeout"] = "00:00:03",
            ["Operations:AnswerGrace"] = "00:00:00",
            ["Operations:RetryBaseDelay"] = "00:00:00.300",
            ["Operations:RetryMaxDelay"] = "00:00:01",
            ["Durable:TaskHub"] = "opstests",
            ["Durable:MaxQueuePollingInterval"] = "00:00:00.500",
            ["Batches:EndsPerGeneration"] = "20",
        }, services => services.AddSingleton(DurableProbes.Tasks));
        Api = App.Client(FleetRoles.Admin);
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        await App.DisposeAsync();
        await _azurite!.DisposeAsync();
    }

    internal ScriptedRelay Relay(string siteId, Func<EmulatorCommand, Reply?>? script = null) =>
        new(App.Get<IMessageQueueFactory>(), siteId, script ?? ScriptedRelay.Succeed);

    internal async Task<OperationView> StartAsync(OperationRequest request)
    {
        using var response = await Api.PostAsJsonAsync(new Uri("/api/operations", UriKind.Relative), request, OperationStore.Json);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<OperationView>(OperationStore.Json))!;
    }

    internal async Task<OperationView> GetAsync(string id) =>
        (await Api.GetFromJsonAsync<OperationView>(new Uri($"/api/operations/{id}", UriKind.Relative), OperationStore.Json))!;

    internal Task<OperationView> WaitAsync(string id, Func<OperationView, bool> until, string what, TimeSpan? timeout = null) =>
        Poll.UntilAsync(() => GetAsync(id), until, timeout ?? TimeSpan.FromSeconds(60), what);

    internal Task<OperationView> EndAsync(string id) => WaitAsync(id, o => o.Status.IsTerminal() && o.CompletedAt is not null, $"operation {id} to end");

    /// <summary>Starts <paramref name="request"/>, answers with <paramref name="script"/>, and returns the ended operation with the actions the relay saw.</summary>
    internal async Task<(OperationView Operation, IReadOnlyList<string> Actions)> RunAsync(OperationRequest request, Func<EmulatorCommand, Reply?>? script = null)
    {
        await using var relay = Relay(request.SiteId, script);
        var started = await StartAsync(request);
        var done = await EndAsync(started.Id);
        return (done, relay.Actions);
    }

    public static string NewSiteId() => ApiFixture.NewSiteId("o");
}

[CollectionDefinition("operations")]
public sealed class OperationsCollection : ICollectionFixture<OperationsFixture>;
