using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Api.Security;

/// <summary>
/// Start-up checks of how callers are authenticated: all problems are reported at once, each naming the
/// setting to change.
/// </summary>
internal sealed class AuthOptionsValidator : IValidateOptions<DevIssuerOptions>
{
    private readonly IHostEnvironment _environment;
    private readonly IOptions<EntraOptions> _entra;

    public AuthOptionsValidator(IHostEnvironment environment, IOptions<EntraOptions> entra)
    {
        _environment = environment;
        _entra = entra;
    }

    public ValidateOptionsResult Validate(string? name, DevIssuerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entra = _entra.Value;
        var errors = new List<string>();
        if (options.Enabled && !_environment.IsDevelopment())
        {
            errors.Add($"Auth:DevIssuer:Enabled is true in the '{_environment.EnvironmentName}' environment. The development issuer accepts any token signed with a shared key and is only allowed when ASPNETCORE_ENVIRONMENT is Development; use Entra ID (AzureAd:*) here.");
        }

        if (options.Enabled && options.KeyBytes() is null)
        {
            errors.Add("Auth:DevIssuer:SigningKey must be base64 of at least 32 random bytes (e.g. `openssl rand -base64 32`) when the development issuer is enabled.");
        }

        if (!options.Enabled && !entra.IsConfigured)
        {
            errors.Add("No way to authenticate callers: set AzureAd:TenantId and AzureAd:ClientId (the API's Entra ID app registration), or in Development set Auth:DevIssuer:Enabled=true with Auth:DevIssuer:SigningKey.");
        }

        if (entra.IsConfigured && string.IsNullOrWhiteSpace(entra.TenantId))
        {
            errors.Add("AzureAd:TenantId is required when AzureAd:ClientId is set.");
        }

        if (entra.IsConfigured && !entra.Instance.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"AzureAd:Instance must be an https:// URL (it is '{entra.Instance}').");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
