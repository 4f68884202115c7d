using LdFleet.Protocol.Commands;

namespace LdFleet.Protocol.Tests.Commands;

/// <summary>The heartbeat grew uptime and circuits compatibly: old relays' heartbeats still read, new ones round-trip.</summary>
public sealed class RelayHeartbeatTests
{
    [Fact]
    public void HeartbeatOfARelayBeforeCircuits_IsStillAccepted()
    {
        var old = BinaryData.FromString("""
            {"kind":"heartbeat","schemaVersion":1,"siteId":"lab","instanceId":"i1","version":"0.9.0","startedAt":"2026-12-01T08:00:00+00:00","sentAt":"2026-12-01T09:00:00+00:00","hostIds":["host-1"],"commandsInFlight":2}
            """);

        var heartbeat = Assert.IsType<RelayHeartbeat>(ProtocolJson.TryDeserialize<RelayReport>(old, out var error));

        Assert.Null(error);
        Assert.Null(heartbeat.Uptime);
        Assert.Null(heartbeat.Circuits);
        Assert.Equal(2, heartbeat.CommandsInFlight);
    }

    [Fact]
    public void HeartbeatWithUptimeAndCircuits_RoundTrips()
    {
        var sent = new RelayHeartbeat
        {
            SiteId = "lab",
            InstanceId = "i2",
            Version = "1.0.0",
            StartedAt = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero),
            SentAt = new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.Zero),
            Uptime = TimeSpan.FromMinutes(90),
            HostIds = ["host-1"],
            Circuits =
            [
                new HostCircuit
                {
                    HostId = "host-1",
                    State = CircuitStates.Open,
                    Since = new DateTimeOffset(2026, 12, 1, 9, 29, 0, TimeSpan.Zero),
                    ConsecutiveFailures = 3,
                    LastError = "ldconsole could not be started: No such file or directory",
                    LastErrorAt = new DateTimeOffset(2026, 12, 1, 9, 29, 0, TimeSpan.Zero),
                    RetryAt = new DateTimeOffset(2026, 12, 1, 9, 29, 30, TimeSpan.Zero),
                },
            ],
        };

        var json = ProtocolJson.Serialize<RelayReport>(sent);
        var received = Assert.IsType<RelayHeartbeat>(ProtocolJson.TryDeserialize<RelayReport>(json, out _));

        Assert.Contains("\"state\":\"open\"", json.ToString(), StringComparison.Ordinal);
        Assert.Equal(sent.Uptime, received.Uptime);
        Assert.Equal(sent.Circuits[0], received.Circuits![0]);
    }
}
