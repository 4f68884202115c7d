using LdFleet.Protocol.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Compact;

namespace LdFleet.Protocol.Tests.Telemetry;

/// <summary>What the console shows: the ids from log scopes on every line, in text and JSON, with secrets masked.</summary>
public sealed class LoggingTests
{
    [Fact]
    public void TextFormat_ScopeIds_AppearOnTheLineWithCategoryAndEventId()
    {
        var line = Log(new FleetLogFormatter(), logger =>
        {
            using var scope = logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = "op7", ["SiteId"] = "lab", ["HostId"] = "host-1", ["CommandId"] = "op7.1.1" });
            logger.Log(LogLevel.Warning, new EventId(5002, "ReceiveFailed"), "Receiving from {Queue} failed", "ldfleet-site-lab");
        });

        Assert.Contains("warn: Tests.Category[5002] Receiving from ldfleet-site-lab failed", line, StringComparison.Ordinal);
        Assert.Contains("{op=op7 site=lab host=host-1 cmd=op7.1.1", line, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonFormat_ScopeIds_AreProperties()
    {
        var line = Log(new CompactJsonFormatter(), logger =>
        {
            using var scope = logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = "op7", ["CommandId"] = "op7.1.1" });
            logger.LogInformation("executing {Action}", "launch");
        });

        using var json = System.Text.Json.JsonDocument.Parse(line);
        Assert.Equal("op7", json.RootElement.GetProperty("OperationId").GetString());
        Assert.Equal("op7.1.1", json.RootElement.GetProperty("CommandId").GetString());
        Assert.Equal("launch", json.RootElement.GetProperty("Action").GetString());
    }

    [Theory]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0S2V5MDE=;EndpointSuffix=core.windows.net", "c2VjcmV0S2V5MDE=")]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=relay;SharedAccessKey=S2V5MDI=", "S2V5MDI=")]
    [InlineData("https://a.queue.core.windows.net/q?sv=2024&sig=abc%2Fdef&se=2026", "abc%2Fdef")]
    public void SecretMasker_CredentialInAProperty_IsMasked(string value, string secret)
    {
        var line = Log(new CompactJsonFormatter(), logger => logger.LogInformation("connecting with {Connection}", value));

        Assert.DoesNotContain(secret, line, StringComparison.Ordinal);
        Assert.Contains("=***", line, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretMasker_PlainText_IsLeftAlone() => Assert.Null(SecretMasker.Mask("operation op7 on host-1"));

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4317", "OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("APPLICATIONINSIGHTS_CONNECTION_STRING", "IngestionEndpoint=https://x/;Secret=hunter2", "APPLICATIONINSIGHTS_CONNECTION_STRING")]
    [InlineData("Logging:Format", "xml", "Logging:Format")]
    [InlineData("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "ClientId=abc", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING")]
    [InlineData("Telemetry:QueueDepthInterval", "00:00:00.100", "Telemetry:QueueDepthInterval")]
    public void Validator_BadSetting_FailsNamingItWithoutEchoingTheValue(string key, string value, string named)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var options = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();

        var result = new TelemetryOptionsValidator(configuration).Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(named, result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_Defaults_Pass()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://localhost:4317",
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x/",
            ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "ClientId=11111111-1111-1111-1111-111111111111;Authorization=AAD",
            ["Logging:Format"] = "json",
        }).Build();

        Assert.True(new TelemetryOptionsValidator(configuration).Validate(null, new TelemetryOptions()).Succeeded);
        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(TelemetryHostingExtensions.ApplicationInsightsCredential(configuration));
    }

    private static string Log(Serilog.Formatting.ITextFormatter formatter, Action<ILogger> write)
    {
        var sink = new CapturingSink(formatter);
        var serilog = new Serilog.LoggerConfiguration().MinimumLevel.Verbose().Enrich.With<SecretMasker>().WriteTo.Sink(sink).CreateLogger();
        using (var provider = new SerilogLoggerProvider(serilog, dispose: true))
        {
            write(provider.CreateLogger("Tests.Category"));
        }

        return Assert.Single(sink.Lines);
    }

    private sealed class CapturingSink(Serilog.Formatting.ITextFormatter formatter) : Serilog.Core.ILogEventSink
    {
        public List<string> Lines { get; } = [];

        public void Emit(LogEvent logEvent)
        {
            using var writer = new StringWriter();
            formatter.Format(logEvent, writer);
            Lines.Add(writer.ToString().TrimEnd());
        }
    }
}
