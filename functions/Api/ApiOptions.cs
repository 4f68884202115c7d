using System.ComponentModel.DataAnnotations;

namespace LdFleet.Functions.Api;

/// <summary>Limits and exposure of the HTTP API.</summary>
internal sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>Largest request body in bytes, APK uploads excepted (see <c>Apps:MaxApkBytes</c>).</summary>
    [Range(1024, 64L * 1024 * 1024, ErrorMessage = "Api:MaxRequestBodyBytes must be between 1 KiB and 64 MiB.")]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Serve the OpenAPI document at /openapi/v1.json and the browsable reference at /docs.</summary>
    public bool ExposeDocs { get; set; } = true;

    /// <summary>How long <c>POST .../test-connection</c> waits for its diagnostic to end before it answers 202 instead of 200.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Api:TestConnectionWait must be between 0 and 1 minute.")]
    public TimeSpan TestConnectionWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The API's public URL (scheme://host[:port][/path]) for the absolute URLs it hands out in Location and Link headers.
    /// Unset: those are relative references. Never taken from the request's Host header, which the client controls.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    public RateLimitOptions RateLimit { get; set; } = new();

    public CorsOptions Cors { get; set; } = new();
}

/// <summary>A token bucket per caller (per client address for unauthenticated requests).</summary>
internal sealed class RateLimitOptions
{
    /// <summary>Requests a caller may make at once after being idle.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Api:RateLimit:Burst must be between 1 and 1000000.")]
    public int Burst { get; set; } = 200;

    /// <summary>Sustained requests per second per caller.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Api:RateLimit:PerSecond must be between 1 and 1000000.")]
    public int PerSecond { get; set; } = 50;
}

/// <summary>Cross-origin access, off unless origins are listed.</summary>
internal sealed class CorsOptions
{
    /// <summary>Origins (scheme://host[:port]) allowed to call the API from a browser. Empty: CORS is off.</summary>
    public string[] AllowedOrigins { get; set; } = [];
}
