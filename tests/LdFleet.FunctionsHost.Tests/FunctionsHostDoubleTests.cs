using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Storage;
using LdFleet.FunctionsHost.Tests.Rpc;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using LdFleet.Testing;
using Microsoft.DurableTask;

namespace LdFleet.FunctionsHost.Tests;

/// <summary>
/// The published cloud app as an isolated worker under a double of the Functions host: the start handshake, worker
/// indexing, function load, and one invocation each of an HTTP function (forwarded the way the ASP.NET Core integration
/// expects), the cleanup timer and the results queue function, each with its effect checked on Azurite.
/// </summary>
[Collection(WorkerUnderHostCollection.Name)]
public sealed class FunctionsHostDoubleTests(WorkerUnderHost fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Handshake_WorkerInitSucceeds_WithTheAspNetCoreIntegrationsHttpUri()
    {
        Assert.True(fixture.Init.Result.Status == StatusResult.Types.Status.Success, fixture.Init.Result.Exception?.Message + fixture.Diagnostics);
        Assert.Equal(WorkerUnderHost.WorkerId, fixture.Session.Worker.Start.WorkerId);

        // What the host keys its behaviour on: typed, body-only HTTP data, and the request itself over HTTP.
        var capabilities = fixture.Init.Capabilities;
        foreach (var capability in (string[])["RpcHttpBodyOnly", "RawHttpBodyBytes", "RpcHttpTriggerMetadataRemoved", "UseNullableValueDictionaryForHttp", "TypedDataCollection", "WorkerStatus"])
        {
            Assert.True(capabilities.ContainsKey(capability), $"capability {capability} missing: {string.Join(", ", capabilities.Keys)}");
        }

        var httpUri = new Uri(capabilities["HttpUri"]);
        Assert.True(httpUri.IsLoopback, httpUri.ToString());
        Assert.Equal(Uri.UriSchemeHttp, httpUri.Scheme);
        output.WriteLine($"The worker's HTTP endpoint accepted connections {fixture.HttpReadyAfterLoad.TotalMilliseconds:0} ms after the last FunctionLoadResponse.");
    }

    [Fact]
    public void Metadata_IsExactlyTheFunctionsOfFunctionsMetadata_PlusTheDurableTasks()
    {
        var reported = fixture.Metadata.FunctionMetadataResults;
        Assert.True(fixture.Metadata.Result is null || fixture.Metadata.Result.Status == StatusResult.Types.Status.Success, fixture.Metadata.Result?.Exception?.Message);
        Assert.False(fixture.Metadata.UseDefaultMetadataIndexing);

        // The build-time list the host would otherwise read, and the orchestrators and activities the Durable extension
        // adds at start-up from the one task list (FleetTasks): nothing more, nothing less.
        using var published = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.AppDirectory, "functions.metadata")));
        var registry = new DurableTaskRegistry();
        FleetTasks.Register(registry);
        var expected = published.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()!)
            .Concat(registry.GetOrchestrators().Select(o => o.Key.Name))
            .Concat(registry.GetActivities().Select(a => a.Key.Name))
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected, reported.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.Equal(reported.Count, reported.Select(f => f.FunctionId).Distinct().Count());

        // The durable tasks carry the trigger the host's extension listens for.
        Assert.All(registry.GetOrchestrators(), o => Assert.Equal("orchestrationTrigger", TriggerOf(fixture.Function(o.Key.Name))));
        Assert.All(registry.GetActivities(), a => Assert.Equal("activityTrigger", TriggerOf(fixture.Function(a.Key.Name))));
        Assert.Equal("activityTrigger", TriggerOf(fixture.Function(TaskNames.StartBatchChildren)));
        Assert.Equal("queueTrigger", TriggerOf(fixture.Function("RelayResults")));
        Assert.Equal("timerTrigger", TriggerOf(fixture.Function("Cleanup")));
        Assert.Equal("httpTrigger", TriggerOf(fixture.Function("Live")));
    }

    [Fact]
    public void Load_EveryReportedFunction_Succeeds()
    {
        Assert.Equal(fixture.Metadata.FunctionMetadataResults.Count, fixture.Loads.Count);
        Assert.All(fixture.Loads, l => Assert.True(l.Value.Result.Status == StatusResult.Types.Status.Success, $"{l.Key}: {l.Value.Result.Exception?.Message}"));
    }

    [Fact]
    public async Task Http_HealthLive_Answers200_ThroughTheForwardedRequest()
    {
        var (http, invocation) = await fixture.Session.InvokeHttpAsync(fixture.Function("Live"), new HttpRequestMessage(HttpMethod.Get, "health/live"));
        using (http)
        {
            AssertSucceeded(invocation);
            Assert.Equal(HttpStatusCode.OK, http.StatusCode);
        }
    }

    [Fact]
    public async Task Http_HealthReady_ChecksTheTaskHub_ThroughTheFunctionsDurableClient()
    {
        // Under the host the Durable check has no process client: it must reach the Ready function's [DurableClient]
        // binding (the task hub's gRPC endpoint), which the app hands to the request, not to the check's own scope.
        var (http, invocation) = await fixture.Session.InvokeHttpAsync(fixture.Function("Ready"), new HttpRequestMessage(HttpMethod.Get, "health/ready"));
        using (http)
        {
            AssertSucceeded(invocation);
            var body = await http.Content.ReadAsStringAsync();
            Assert.True(http.StatusCode == HttpStatusCode.OK, body);
            using var ready = JsonDocument.Parse(body);
            Assert.Equal("Healthy", ready.RootElement.GetProperty("checks").GetProperty("durable").GetProperty("status").GetString());
            Assert.False(string.IsNullOrEmpty(ready.RootElement.GetProperty("version").GetString()));
        }
    }

    [Fact]
    public async Task Http_WithoutAToken_Answers401ProblemDetails_FromTheAppsOwnPipeline()
    {
        var (http, invocation) = await fixture.Session.InvokeHttpAsync(fixture.Function("ListSites"), new HttpRequestMessage(HttpMethod.Get, "api/sites"));
        using (http)
        {
            AssertSucceeded(invocation);
            Assert.Equal(HttpStatusCode.Unauthorized, http.StatusCode);
            Assert.Equal("application/problem+json", http.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await http.Content.ReadAsStringAsync());
            Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
        }
    }

    [Fact]
    public async Task Http_InvalidBody_Answers400ProblemDetails_NamingTheField()
    {
        var token = await DevTokens.MintAsync(fixture.SigningKey, "Fleet.Operate");
        var request = new HttpRequestMessage(HttpMethod.Post, "api/operations")
        {
            Content = new StringContent("""{"workflow":"launch","siteId":"Not A Site!","hostId":"host-1","index":0}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var (http, invocation) = await fixture.Session.InvokeHttpAsync(fixture.Function("StartOperation"), request);
        using (http)
        {
            AssertSucceeded(invocation);
            var body = await http.Content.ReadAsStringAsync();
            Assert.True(http.StatusCode == HttpStatusCode.BadRequest, $"{(int)http.StatusCode}: {body}");
            Assert.Equal("application/problem+json", http.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(body);
            Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("siteId", out _), body);
        }
    }

    [Fact]
    public async Task Queue_RelayResults_AppliesAHeartbeat_ToTheRelaysTable()
    {
        var siteId = "site-" + Guid.NewGuid().ToString("N")[..8];
        var heartbeat = ProtocolJson.Serialize<RelayReport>(new RelayHeartbeat
        {
            SiteId = siteId,
            InstanceId = Guid.NewGuid().ToString("N"),
            Version = "1.0.0-host-double",
            StartedAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            SentAt = DateTimeOffset.UtcNow,
            HostIds = ["host-1"],
        }).ToString();

        // As the host's queue extension passes a message to a string parameter, with its trigger metadata.
        var invocation = await fixture.Session.InvokeAsync(fixture.Function("RelayResults"), new TypedData { String = heartbeat }, new Dictionary<string, TypedData>
        {
            ["QueueTrigger"] = new() { String = heartbeat },
            ["Id"] = new() { String = Guid.NewGuid().ToString() },
            ["DequeueCount"] = new() { Json = "1" },
            ["PopReceipt"] = new() { String = "host-double" },
            ["InsertionTime"] = new() { Json = JsonSerializer.Serialize(DateTimeOffset.UtcNow) },
        });

        AssertSucceeded(invocation);
        var relay = await Tables().GetTableClient(FleetTables.Relays).GetEntityIfExistsAsync<TableEntity>("relay", siteId);
        Assert.True(relay.HasValue, $"no relays row for {siteId}");
        Assert.Equal("host-1", relay.Value!.GetString("HostIds"));
    }

    [Fact]
    public async Task Timer_Cleanup_RunsTheJob_AndMarksASilentRelayOffline()
    {
        // A relay whose last heartbeat is a day old: the cleanup marks it offline (and purges through the task hub
        // client the [DurableClient] binding gives it, against the double's Durable endpoint).
        var siteId = "stale-" + Guid.NewGuid().ToString("N")[..8];
        var relays = Tables().GetTableClient(FleetTables.Relays);
        await relays.CreateIfNotExistsAsync();
        await relays.UpsertEntityAsync(new TableEntity("relay", siteId) { ["LastHeartbeat"] = DateTimeOffset.UtcNow.AddDays(-1), ["InstanceId"] = "old", ["Version"] = "1.0.0" });

        var invocation = await fixture.Session.InvokeAsync(
            fixture.Function("Cleanup"),
            new TypedData { Json = """{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T00:00:00","Next":"0001-01-01T00:00:00","LastUpdated":"0001-01-01T00:00:00"},"IsPastDue":false}""" },
            new Dictionary<string, TypedData>());

        AssertSucceeded(invocation);
        var relay = await relays.GetEntityAsync<TableEntity>("relay", siteId);
        Assert.True(relay.Value.GetBoolean("Offline"));
    }

    private TableServiceClient Tables() => new(fixture.Azurite.ConnectionString);

    private void AssertSucceeded(InvocationResponse invocation) =>
        Assert.True(invocation.Result.Status == StatusResult.Types.Status.Success, $"{invocation.Result.Status}: {invocation.Result.Exception?.Message}\n{invocation.Result.Exception?.StackTrace}\n{fixture.Diagnostics}");

    private static string TriggerOf(RpcFunctionMetadata function) =>
        function.Bindings.Values.Single(b => b.Type.EndsWith("Trigger", StringComparison.Ordinal)).Type;
}
