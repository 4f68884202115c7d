using Microsoft.Extensions.Options;

namespace LdFleet.Protocol.Telemetry;

/// <summary>Settings of the <c>Telemetry</c> section, shared by the cloud app and the relay.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>The JSON-lines span file (<c>Telemetry:FileExporter:Path</c>).</summary>
    public FileExporterOptions FileExporter { get; set; } = new();

    /// <summary>
    /// How often the queue-depth metric asks the broker for its approximate message count (one request each on
    /// Storage Queues). Zero turns the metric off.
    /// </summary>
    public TimeSpan QueueDepthInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// A JSON-lines file every finished span is appended to (one object per line): a local debugging exporter that
/// needs no collector, and what the end-to-end trace test reads. Off when <see cref="Path"/> is empty.
/// </summary>
public sealed class FileExporterOptions
{
    public string? Path { get; set; }
}

/// <summary>
/// Checks the telemetry settings, including the standard OpenTelemetry and Application Insights variables the
/// exporters read, so a typo fails the start instead of silently exporting nothing. Never echoes a value: the
/// Application Insights connection string is a credential.
/// </summary>
internal sealed class TelemetryOptionsValidator(Microsoft.Extensions.Configuration.IConfiguration configuration) : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var failures = new List<string>();
        if (options.QueueDepthInterval < TimeSpan.Zero || (options.QueueDepthInterval > TimeSpan.Zero && options.QueueDepthInterval < TimeSpan.FromSeconds(1)))
        {
            failures.Add("Telemetry:QueueDepthInterval must be zero (off) or at least one second.");
        }

        if (options.FileExporter.Path is { Length: > 0 } path && path.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            failures.Add("Telemetry:FileExporter:Path is not a valid path.");
        }

        if (TelemetrySettings.OtlpEndpoint(configuration) is { } endpoint
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            failures.Add($"{TelemetrySettings.OtlpEndpointKey} must be an absolute http(s) URL (for example http://localhost:4317).");
        }

        if (TelemetrySettings.ApplicationInsights(configuration) is { } connection
            && !connection.Contains("InstrumentationKey=", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{TelemetrySettings.ApplicationInsightsKey} is set but is not an Application Insights connection string (it has no InstrumentationKey).");
        }

        if (TelemetrySettings.ApplicationInsightsAuthentication(configuration) is { } authentication
            && (!authentication.TryGetValue("Authorization", out var kind) || !kind.Equals("AAD", StringComparison.OrdinalIgnoreCase)))
        {
            failures.Add($"{TelemetrySettings.ApplicationInsightsAuthenticationKey} must read 'Authorization=AAD' (with 'ClientId=<id>' for a user-assigned identity).");
        }

        if (TelemetrySettings.LogFormat(configuration) is { } format && !TelemetrySettings.IsKnownFormat(format))
        {
            failures.Add($"{TelemetrySettings.LogFormatKey} must be 'text' or 'json'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>The configuration keys outside the <c>Telemetry</c> section that choose exporters and log format.</summary>
internal static class TelemetrySettings
{
    /// <summary>The standard OpenTelemetry variable; the OTLP exporter reads it (and its siblings) itself.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Set on the Function app by infra/ (Application Insights).</summary>
    public const string ApplicationInsightsKey = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary><c>Authorization=AAD</c> (and <c>ClientId=</c>): send to Application Insights with a managed identity.</summary>
    public const string ApplicationInsightsAuthenticationKey = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary><c>text</c> (default, human-readable) or <c>json</c> (Serilog compact JSON, one event a line).</summary>
    public const string LogFormatKey = "Logging:Format";

    public static string? OtlpEndpoint(Microsoft.Extensions.Configuration.IConfiguration configuration) => NonEmpty(configuration[OtlpEndpointKey]);

    public static string? ApplicationInsights(Microsoft.Extensions.Configuration.IConfiguration configuration) => NonEmpty(configuration[ApplicationInsightsKey]);

    public static string? LogFormat(Microsoft.Extensions.Configuration.IConfiguration configuration) => NonEmpty(configuration[LogFormatKey]);

    /// <summary><c>Authorization=AAD;ClientId=...</c> as key/value pairs, or null when not set.</summary>
    public static Dictionary<string, string>? ApplicationInsightsAuthentication(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        NonEmpty(configuration[ApplicationInsightsAuthenticationKey]) is { } text
            ? text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => p.Split('=', 2))
                .Where(p => p.Length == 2)
                .GroupBy(p => p[0], StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.OrdinalIgnoreCase)
            : null;

    public static bool IsKnownFormat(string format) =>
        format.Equals("text", StringComparison.OrdinalIgnoreCase) || format.Equals("json", StringComparison.OrdinalIgnoreCase);

    public static bool IsJson(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        string.Equals(LogFormat(configuration), "json", StringComparison.OrdinalIgnoreCase);

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
