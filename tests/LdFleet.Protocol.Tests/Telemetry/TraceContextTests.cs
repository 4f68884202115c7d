using System.Diagnostics;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Telemetry;

namespace LdFleet.Protocol.Tests.Telemetry;

public sealed class TraceContextTests
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void Capture_W3CActivity_RoundTripsThroughTryParse()
    {
        using var activity = new Activity("send").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "vendor=1";

        var (traceParent, traceState) = TraceContext.Capture(activity);

        Assert.True(TraceContext.TryParse(traceParent, traceState, out var context));
        Assert.Equal(activity.TraceId, context.TraceId);
        Assert.Equal(activity.SpanId, context.SpanId);
        Assert.Equal("vendor=1", context.TraceState);
        Assert.True(context.IsRemote);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-traceparent")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    public void TryParse_MissingOrMalformed_ReturnsFalse(string? traceParent) =>
        Assert.False(TraceContext.TryParse(traceParent, null, out _));

    [Fact]
    public void StartFromMessage_WithContext_IsChildOfTheSender()
    {
        using var listener = ListenToFleetSource();

        using var span = FleetTelemetry.StartFromMessage("execute launch", ActivityKind.Consumer, TraceParent, null);

        Assert.NotNull(span);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", span.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", span.ParentSpanId.ToHexString());
        Assert.Equal(ActivityKind.Consumer, span.Kind);
    }

    [Fact]
    public void Command_WithoutTraceFields_FromAnOlderSender_StillDeserializes()
    {
        var old = BinaryData.FromString("""
            {"schemaVersion":1,"commandId":"op.1.1","operationId":"op","siteId":"lab","hostId":"host-1","action":"launch","index":0,
             "issuedAt":"2026-01-01T00:00:00+00:00","deliverBy":"2026-01-01T00:05:00+00:00"}
            """);

        var command = ProtocolJson.TryDeserialize<EmulatorCommand>(old, out var error);

        Assert.Null(error);
        Assert.Null(command!.TraceParent);
        Assert.Null(command.TraceState);
    }

    [Fact]
    public void ResultAndStarted_CarryTraceContext_ThroughTheWireFormat()
    {
        RelayReport[] reports =
        [
            new CommandResult
            {
                SiteId = "lab", CommandId = "op.1.1", OperationId = "op", HostId = "host-1", Outcome = CommandOutcome.Succeeded,
                CompletedAt = DateTimeOffset.UnixEpoch, TraceParent = TraceParent, TraceState = "a=b",
            },
            new CommandStarted { SiteId = "lab", CommandId = "op.1.1", OperationId = "op", HostId = "host-1", StartedAt = DateTimeOffset.UnixEpoch, TraceParent = TraceParent, TraceState = "a=b" },
        ];

        foreach (var report in reports)
        {
            var body = ProtocolJson.Serialize(report);
            Assert.Contains("\"traceParent\":\"" + TraceParent + "\"", body.ToString(), StringComparison.Ordinal);
            Assert.Equal(body.ToString(), ProtocolJson.Serialize(ProtocolJson.TryDeserialize<RelayReport>(body, out _)).ToString());
        }
    }

    private static ActivityListener ListenToFleetSource()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == FleetTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
