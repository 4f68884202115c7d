using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Api;

/// <summary>
/// Refuses settings that are fine on a laptop and dangerous in Production, listing every problem at once.
/// </summary>
internal sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    private readonly IHostEnvironment _environment;
    private readonly IConfiguration _configuration;

    public ApiOptionsValidator(IHostEnvironment environment, IConfiguration configuration)
    {
        _environment = environment;
        _configuration = configuration;
    }

    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        foreach (var origin in options.Cors.AllowedOrigins)
        {
            if (origin == "*")
            {
                errors.Add("Api:Cors:AllowedOrigins contains '*'; list the dashboard's origins explicitly (tokens are sent with every request).");
            }
            else if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                errors.Add($"Api:Cors:AllowedOrigins entry '{origin}' is not an origin (scheme://host[:port], no path).");
            }
            else if (_environment.IsProduction() && uri.Scheme == "http" && !uri.IsLoopback)
            {
                errors.Add($"Api:Cors:AllowedOrigins entry '{origin}' is plain http in Production; use https.");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.PublicBaseUrl))
        {
            var value = options.PublicBaseUrl.Trim();
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Query.Length > 0 || uri.Fragment.Length > 0
                || uri.UserInfo.Length > 0 || string.IsNullOrEmpty(uri.Host))
            {
                errors.Add($"Api:PublicBaseUrl '{value}' is not an absolute http(s) URL without query, fragment or user info (e.g. https://fleet.example.com).");
            }
            else if (_environment.IsProduction() && uri.Scheme == "http" && !uri.IsLoopback)
            {
                errors.Add($"Api:PublicBaseUrl '{value}' is plain http in Production; use https.");
            }
        }

        if (_environment.IsProduction())
        {
            // Read through configuration: the storage options belong to the storage module, these checks to the API's exposure.
            foreach (var key in new[] { "Storage:ConnectionString", "Transport:ConnectionString" })
            {
                var value = _configuration[key] ?? "";
                if (value.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase) || value.Contains("devstoreaccount1", StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{key} points at the local storage emulator in Production.");
                }
                else if (value.Contains("DefaultEndpointsProtocol=http;", StringComparison.OrdinalIgnoreCase) || value.Contains("Endpoint=http://", StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{key} uses plain http in Production; use https.");
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
