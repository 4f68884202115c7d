using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using LdFleet.Functions.Hosting;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Functions.RelayResults;
using LdFleet.Functions.Tests.Api;
using LdFleet.Protocol.Commands;
using LdFleet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LdFleet.Functions.Tests.CustomHandler;

/// <summary>
/// The app as an Azure Functions custom handler: the host POSTs trigger envelopes to /{functionName} on
/// 127.0.0.1 and reads { Outputs, Logs, ReturnValue }; a non-2xx answer makes it retry.
/// </summary>
[Collection("api")]
public sealed class CustomHandlerTests
{
    private readonly ApiFixture _fixture;

    public CustomHandlerTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task RelayResults_ServiceBusEnvelope_CompletesTheOperation()
    {
        var app = _fixture.CustomHandler;
        var operation = await StartAsync(app);
        var result = Result(operation, CommandOutcome.Succeeded);

        // Service Bus: Data.<binding> is the body as a string; metadata carries the delivery count.
        using var response = await Invoke(app, "relay-results", new
        {
            Data = new { message = ProtocolJson.Serialize<RelayReport>(result).ToString() },
            Metadata = new { DeliveryCount = 1, MessageId = "m-1", sys = new { MethodName = "relay-results", UtcNow = DateTime.UtcNow } },
        });

        var body = await AssertInvocationAsync(response, HttpStatusCode.OK);
        Assert.Equal("Applied", body.GetProperty("ReturnValue").GetProperty("disposition").GetString());
        Assert.Contains("m-1", body.GetProperty("Logs")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(OperationStatus.Succeeded, (await app.Get<OperationEngine>().GetAsync(operation.Id, default))!.Status);

        // Delivered again: a duplicate, still a success so the host completes it.
        using var again = await Invoke(app, "relay-results", new { Data = new { message = ProtocolJson.Serialize<RelayReport>(result).ToString() }, Metadata = new { DeliveryCount = 2 } });
        Assert.Equal("Duplicate", (await AssertInvocationAsync(again, HttpStatusCode.OK)).GetProperty("ReturnValue").GetProperty("disposition").GetString());
    }

    [Theory]
    [InlineData("object")]
    [InlineData("string")]
    [InlineData("double-encoded")]
    [InlineData("base64")]
    public async Task RelayResultsStorage_AcceptsEveryFormTheHostSends(string form)
    {
        var app = _fixture.CustomHandler;
        var operation = await StartAsync(app);
        var json = ProtocolJson.Serialize<RelayReport>(Result(operation, CommandOutcome.Failed)).ToString();
        object item = form switch
        {
            "object" => JsonDocument.Parse(json).RootElement,
            "string" => json,
            "double-encoded" => JsonSerializer.Serialize(json),
            _ => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)),
        };

        using var response = await Invoke(app, "relay-results-storage", new { Data = new { myQueueItem = item }, Metadata = new { DequeueCount = "1", Id = "q-1" } });

        Assert.Equal("Applied", (await AssertInvocationAsync(response, HttpStatusCode.OK)).GetProperty("ReturnValue").GetProperty("disposition").GetString());
        Assert.Equal(OperationStatus.Failed, (await app.Get<OperationEngine>().GetAsync(operation.Id, default))!.Status);
    }

    [Fact]
    public async Task InvalidReport_IsNotRetried_AndKeptInThePoisonQueue()
    {
        var app = _fixture.CustomHandler;
        var marker = Guid.NewGuid().ToString("N");

        using var response = await Invoke(app, "relay-results-storage", new { Data = new { item = "{\"kind\":\"nonsense\",\"marker\":\"" + marker + "\"}" }, Metadata = new { DequeueCount = 1 } });

        Assert.Equal("Invalid", (await AssertInvocationAsync(response, HttpStatusCode.OK)).GetProperty("ReturnValue").GetProperty("disposition").GetString());
        var poison = new QueueClient(_fixture.Azurite.ConnectionString, "ldfleet-results-poison", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var peeked = (await poison.PeekMessagesAsync(32)).Value;
        Assert.Contains(peeked, m => m.Body.ToString().Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sweep_TimerEnvelope_RedrivesAStrandedCommand()
    {
        var app = _fixture.CustomHandler;
        // What a crash between writing and sending leaves: an operation with its command still in the outbox,
        // old enough for the creation scan.
        var stranded = OperationDecider.Start(
            new OperationRequest { Workflow = EmulatorActions.Launch, SiteId = ApiFixture.NewSiteId(), HostId = "host-1", Index = 0 },
            OperationIds.New(DateTimeOffset.UtcNow.AddMinutes(-2)),
            DateTimeOffset.UtcNow.AddMinutes(-2),
            new OperationsOptions());
        await app.Get<OperationStore>().InsertAsync(stranded, default);

        // Other apps on this storage sweep too and may have moved the creation cursor past it: index it directly.
        await app.Get<LdFleet.Functions.Operations.Deadlines.DeadlineIndex>().AddAsync("o|" + stranded.Id, DateTimeOffset.UtcNow.AddSeconds(-1), default);

        using var response = await Invoke(app, "sweep", new
        {
            Data = new { timer = new { Schedule = new { AdjustForDST = true }, ScheduleStatus = (object?)null, IsPastDue = true } },
            Metadata = new { sys = new { MethodName = "sweep", UtcNow = DateTime.UtcNow, RandGuid = Guid.NewGuid() } },
        });

        var body = await AssertInvocationAsync(response, HttpStatusCode.OK);
        Assert.True(body.GetProperty("ReturnValue").GetProperty("scanned").GetInt32() + body.GetProperty("ReturnValue").GetProperty("due").GetInt32() >= 1);
        Assert.True(body.GetProperty("ReturnValue").GetProperty("pastDue").GetBoolean());
        Assert.Equal(OperationStatus.Dispatched, (await app.Get<OperationEngine>().GetAsync(stranded.Id, default))!.Status);
    }

    [Fact]
    public async Task StorageDown_FailsTheInvocation_SoTheHostRetries()
    {
        await using var azurite = await AzuriteServer.StartAsync(persistent: true);
        await using var app = FleetApp.Start(azurite.ConnectionString, customHandler: true);
        var operation = await StartAsync(app);
        var body = new { Data = new { message = ProtocolJson.Serialize<RelayReport>(Result(operation, CommandOutcome.Succeeded)).ToString() }, Metadata = new { DeliveryCount = 1 } };

        await azurite.StopAsync();
        using (var failed = await Invoke(app, "relay-results", body))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
            Assert.Equal(JsonValueKind.Null, (await failed.ReadAsync()).GetProperty("ReturnValue").ValueKind);
        }

        await azurite.StartAgainAsync();
        using var retried = await Invoke(app, "relay-results", body);
        Assert.Equal("Applied", (await AssertInvocationAsync(retried, HttpStatusCode.OK)).GetProperty("ReturnValue").GetProperty("disposition").GetString());
    }

    [Fact]
    public async Task CustomHandlerMode_ListensOnLoopbackOnly_AndRunsNoPollingWorkers()
    {
        var app = _fixture.CustomHandler;
        var server = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>();
        var addresses = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        Assert.All(addresses, a => Assert.StartsWith("http://127.0.0.1:", a, StringComparison.Ordinal));

        var hosted = app.Services.GetServices<IHostedService>().ToList();
        Assert.False(hosted.OfType<SelfHostedWorker<RelayResultsListener>>().Single().Started);
        Assert.False(hosted.OfType<SelfHostedWorker<OperationSweeper>>().Single().Started);
        Assert.True(_fixture.SelfHosted.Services.GetServices<IHostedService>().OfType<SelfHostedWorker<RelayResultsListener>>().Single().Started);

        // The host's readiness probe (GET /) gets an answer, whatever it is.
        using var probe = await app.Anonymous().GetAsync(new Uri("/", UriKind.Relative));
        Assert.True((int)probe.StatusCode < 500);
    }

    [Fact]
    public async Task MalformedEnvelope_IsA400Problem()
    {
        using var client = _fixture.CustomHandler.Anonymous();

        using var response = await client.PostAsync(new Uri("/relay-results", UriKind.Relative), new StringContent("{not json", Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    private static async Task<Operation> StartAsync(FleetApp app) =>
        await app.Get<OperationEngine>().StartAsync(new OperationRequest { Workflow = EmulatorActions.Launch, SiteId = ApiFixture.NewSiteId(), HostId = "host-1", Index = 1 }, new StartContext(), default);

    private static CommandResult Result(Operation operation, CommandOutcome outcome) => new()
    {
        SiteId = operation.SiteId,
        CommandId = operation.Steps[^1].CommandId,
        OperationId = operation.Id,
        HostId = operation.HostId,
        Outcome = outcome,
        ErrorCode = outcome == CommandOutcome.Failed ? "PlayerNotFound" : null,
        CompletedAt = DateTimeOffset.UtcNow,
    };

    private static async Task<HttpResponseMessage> Invoke(FleetApp app, string function, object envelope)
    {
        using var client = app.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = new StringContent(JsonSerializer.Serialize(envelope), Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> AssertInvocationAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.ReadAsync();
        Assert.True(status == response.StatusCode, body.ToString());
        Assert.Equal(JsonValueKind.Object, body.GetProperty("Outputs").ValueKind);
        Assert.Equal(JsonValueKind.Array, body.GetProperty("Logs").ValueKind);
        return body;
    }
}
