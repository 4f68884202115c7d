using System.Net;
using System.Text.Json;
using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>
/// One operation produces one trace across both processes: API request -> operation start -> command send ->
/// relay execute -> ldconsole -> result send -> cloud result apply. Both processes export spans with the JSON-lines
/// file exporter (<c>Telemetry:FileExporter:Path</c>), which the test reads.
/// </summary>
public sealed class TraceTests : IClassFixture<TraceTests.TracedFleet>
{
    private readonly TracedFleet _fleet;

    public TraceTests(TracedFleet fleet) => _fleet = fleet;

    [Fact]
    public async Task Launch_OneOperation_IsOneTraceFromApiRequestThroughLdConsoleBackToResultApply()
    {
        var host = _fleet.Hosts[0];
        using var response = await _fleet.Api.PostAsync(new Uri($"/api/sites/{FleetFixture.SiteId}/hosts/{host.Id}/emulators/1/launch", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var done = await _fleet.WaitForTerminalAsync(response.Headers.Location!);
        Assert.True(done.Status == "Succeeded", $"operation ended {done.Status}: {done.ErrorCode} {done.Error}\n{_fleet.Diagnostics}");
        var commandId = done.Steps[^1].CommandId;

        // Spans are exported in batches about a second apart: wait for the last span to end in each process.
        var spans = await Poll.UntilAsync(
            () => Task.FromResult(_fleet.ReadSpans()),
            all => all.Any(s => s.Name == "apply result" && s.Attribute("ldfleet.operation.id") == done.Id)
                && all.Any(s => s.Name == "execute launch" && s.Attribute("ldfleet.operation.id") == done.Id),
            TimeSpan.FromSeconds(30),
            "both processes to export the operation's spans\n" + _fleet.Diagnostics);

        var start = Assert.Single(spans, s => s.Name == "operation start" && s.Attribute("ldfleet.operation.id") == done.Id);
        var trace = spans.Where(s => s.TraceId == start.TraceId).ToList();
        Assert.Equal(["ldfleet-cloud", "ldfleet-relay"], trace.Select(s => s.Service).Distinct().Order(StringComparer.Ordinal));

        var request = ParentOf(trace, start);
        Assert.Equal("Server", request.Kind);
        Assert.Equal("Microsoft.AspNetCore", request.Source);
        Assert.Null(request.ParentSpanId);

        // The sweep may send the command again before the send is recorded (the relay then answers the copy from its
        // journal): every copy joins the trace under the operation's start, and exactly one ran ldconsole.
        var sends = trace.Where(s => s.Name == "send launch" && s.ParentSpanId == start.SpanId).ToList();
        Assert.NotEmpty(sends);
        Assert.All(sends, s => Assert.Equal("Producer", s.Kind));
        var ldconsole = Assert.Single(trace, s => s.Name == "ldconsole launch");
        var execute = ParentOf(trace, ldconsole);
        Assert.Equal(("execute launch", "Consumer", "ldfleet-relay"), (execute.Name, execute.Kind, execute.Service));
        var send = Assert.Single(sends, s => s.SpanId == execute.ParentSpanId);
        var resultSend = Assert.Single(trace, s => s.Name == "send result" && s.ParentSpanId == execute.SpanId);
        var apply = Assert.Single(trace, s => s.Name == "apply result" && s.ParentSpanId == resultSend.SpanId);
        Assert.Equal(("Consumer", "ldfleet-cloud"), (apply.Kind, apply.Service));

        foreach (var span in new[] { send, execute, resultSend, apply })
        {
            Assert.Equal(done.Id, span.Attribute("ldfleet.operation.id"));
            Assert.Equal(commandId, span.Attribute("ldfleet.command.id"));
            Assert.Equal(FleetFixture.SiteId, span.Attribute("ldfleet.site.id"));
            Assert.Equal(host.Id, span.Attribute("ldfleet.host.id"));
        }

        Assert.Equal(host.Id, ldconsole.Attribute("ldfleet.host.id"));
        Assert.Equal("launch", ldconsole.Attribute("ldfleet.action"));
        Assert.Equal("0", ldconsole.Attribute("process.exit.code"));
        Assert.NotNull(ldconsole.Attribute("ldfleet.duration_ms"));

        // The effect check (list2) runs inside the same command span.
        Assert.Contains(trace, s => s.Name == "ldconsole list2" && s.ParentSpanId == execute.SpanId);
    }

    private static Span ParentOf(IReadOnlyList<Span> trace, Span child) =>
        Assert.Single(trace, s => s.SpanId == child.ParentSpanId);

    /// <summary>The fleet with both processes writing spans to files in a temporary directory.</summary>
    public sealed class TracedFleet : FleetFixture
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("ldfleet-spans-").FullName;

        private string CloudFile => Path.Combine(_dir, "cloud.jsonl");

        private string RelayFile => Path.Combine(_dir, "relay.jsonl");

        protected override IReadOnlyDictionary<string, string?> CloudSettings =>
            new Dictionary<string, string?> { ["Telemetry__FileExporter__Path"] = CloudFile };

        protected override IReadOnlyDictionary<string, string?> RelaySettings =>
            new Dictionary<string, string?> { ["Telemetry__FileExporter__Path"] = RelayFile };

        public IReadOnlyList<Span> ReadSpans() => [.. Read(CloudFile), .. Read(RelayFile)];

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            Directory.Delete(_dir, recursive: true);
        }

        private static IEnumerable<Span> Read(string path)
        {
            if (!File.Exists(path))
            {
                return [];
            }

            // The exporter may be appending while we read: a torn last line is skipped and read on the next poll.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var spans = new List<Span>();
            while (reader.ReadLine() is { } line)
            {
                try
                {
                    spans.Add(JsonSerializer.Deserialize<Span>(line, Json)!);
                }
                catch (JsonException)
                {
                }
            }

            return spans;
        }

        private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    }

    /// <summary>One line of the span file.</summary>
    public sealed record Span(string TraceId, string SpanId, string? ParentSpanId, string Name, string Kind, string Source, string Service, Dictionary<string, string?> Attributes)
    {
        public string? Attribute(string name) => Attributes.TryGetValue(name, out var value) ? value : null;
    }
}
