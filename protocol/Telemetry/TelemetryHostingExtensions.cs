using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serilog;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Compact;

namespace LdFleet.Protocol.Telemetry;

/// <summary>Logging, tracing and metrics wiring shared by the cloud app and the relay.</summary>
public static class TelemetryHostingExtensions
{
    // Spans reach the file within a second, so a reader (a person with tail -f, or the trace test) sees them promptly.
    private const int FileExportDelayMs = 1000;

    /// <summary>
    /// Serilog as the console logger (human-readable lines by default, compact JSON with <c>Logging:Format=json</c>;
    /// levels still come from <c>Logging:LogLevel</c>), and OpenTelemetry traces and metrics for LdFleet's source
    /// and meters, exported to OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, to Application Insights when
    /// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is, and to a JSON-lines file with <c>Telemetry:FileExporter:Path</c>.
    /// </summary>
    public static TBuilder AddFleetTelemetryCore<TBuilder>(
        this TBuilder builder,
        string serviceName,
        Action<TracerProviderBuilder>? tracing = null,
        Action<MeterProviderBuilder>? metrics = null)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        var configuration = builder.Configuration;
        builder.Services.AddOptions<TelemetryOptions>()
            .BindConfiguration(TelemetryOptions.SectionName)
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        AddSerilogConsole(builder);

        var otlp = TelemetrySettings.OtlpEndpoint(configuration) is not null;
        var applicationInsights = TelemetrySettings.ApplicationInsights(configuration);
        var credential = ApplicationInsightsCredential(configuration);
        var file = configuration[$"{TelemetryOptions.SectionName}:FileExporter:Path"];
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceVersion: typeof(FleetTelemetry).Assembly.GetName().Version?.ToString()))
            .WithTracing(t =>
            {
                t.AddSource(FleetTelemetry.Name);
                tracing?.Invoke(t);
                if (otlp)
                {
                    // The exporter reads the endpoint, protocol and headers from the standard OTEL_EXPORTER_OTLP_* settings.
                    t.AddOtlpExporter();
                }

                if (applicationInsights is not null)
                {
                    t.AddAzureMonitorTraceExporter(o =>
                    {
                        o.ConnectionString = applicationInsights;
                        o.Credential = credential;
                    });
                }

                if (!string.IsNullOrWhiteSpace(file))
                {
                    t.AddProcessor(new BatchActivityExportProcessor(new JsonLinesSpanExporter(file, serviceName), scheduledDelayMilliseconds: FileExportDelayMs));
                }
            })
            .WithMetrics(m =>
            {
                m.AddMeter(FleetTelemetry.Name, Transport.StorageRequestCounter.MeterName);
                metrics?.Invoke(m);
                if (otlp)
                {
                    m.AddOtlpExporter();
                }

                if (applicationInsights is not null)
                {
                    m.AddAzureMonitorMetricExporter(o =>
                    {
                        o.ConnectionString = applicationInsights;
                        o.Credential = credential;
                    });
                }
            });
        return builder;
    }

    /// <summary>Samples the approximate depth of <paramref name="queueName"/> into the <c>ldfleet.queue.depth</c> gauge.</summary>
    public static IServiceCollection AddQueueDepthMetric(this IServiceCollection services, Func<IServiceProvider, string> queueName)
    {
        ArgumentNullException.ThrowIfNull(queueName);
        services.AddSingleton(sp => new QueueDepthTarget(queueName(sp)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, QueueDepthSampler>());
        return services;
    }

    /// <summary>
    /// Entra ID sign-in for Application Insights when <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> asks for it
    /// (<c>Authorization=AAD</c>, with <c>ClientId=</c> for a user-assigned identity): infra/ turns key-based
    /// ingestion off and sets this on the Function app, the same convention the Functions host follows.
    /// </summary>
    internal static TokenCredential? ApplicationInsightsCredential(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        if (TelemetrySettings.ApplicationInsightsAuthentication(configuration) is not { } parts || !parts.TryGetValue("Authorization", out var kind)
            || !kind.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return new ManagedIdentityCredential(parts.TryGetValue("ClientId", out var clientId) && clientId.Length > 0
            ? ManagedIdentityId.FromUserAssignedClientId(clientId)
            : ManagedIdentityId.SystemAssigned);
    }

    private static void AddSerilogConsole(IHostApplicationBuilder builder)
    {
        // Only the console provider is replaced: the Event Log provider a Windows service adds stays.
        foreach (var console in builder.Services.Where(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider)).ToList())
        {
            builder.Services.Remove(console);
        }

        var json = TelemetrySettings.IsJson(builder.Configuration);
        builder.Services.AddSingleton<ILoggerProvider>(_ =>
        {
            // Every level reaches Serilog: Logging:LogLevel filters before the provider, as it did for the console logger.
            var logger = new LoggerConfiguration()
                .MinimumLevel.Verbose()
                .Enrich.With<SecretMasker>()
                .WriteTo.Console(json ? new CompactJsonFormatter() : new FleetLogFormatter())
                .CreateLogger();
            return new SerilogLoggerProvider(logger, dispose: true);
        });
    }
}
