using LdFleet.Cli.Config;
using Microsoft.Identity.Client;

namespace LdFleet.Cli.Auth;

/// <summary>
/// Entra ID sign-in for a profile: device-code flow once (<c>ldfleet login</c>), then silent refresh from a
/// token cache file next to the config, readable by the user only. The cache holds refresh tokens, so it is
/// written with the same care as the config (<see cref="SecureFile"/>).
/// </summary>
internal sealed class EntraAuth
{
    private readonly IPublicClientApplication _app;
    private readonly string[] _scopes;

    public EntraAuth(string profileName, Profile profile, ConfigStore store)
    {
        if (profile.ClientId is not { Length: > 0 } clientId || profile.TenantId is not { Length: > 0 } tenant || profile.Scope is not { Length: > 0 } scope)
        {
            throw new CliException(ExitCodes.Usage, "This profile uses Entra ID but lacks its settings.", ["Set them with: ldfleet config set <profile> --auth entra --tenant <tenant-id> --client-id <app-id> --scope api://<api-app-id>/.default"]);
        }

        _scopes = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        _app = PublicClientApplicationBuilder.Create(clientId)
            .WithAuthority(new Uri(new Uri(profile.Instance ?? "https://login.microsoftonline.com/"), tenant))
            .WithDefaultRedirectUri()
            .Build();

        // One cache per profile: profiles may point at different tenants and apps.
        var cacheFile = store.MsalCacheFile(profileName);
        _app.UserTokenCache.SetBeforeAccess(args =>
        {
            if (File.Exists(cacheFile))
            {
                args.TokenCache.DeserializeMsalV3(File.ReadAllBytes(cacheFile), shouldClearExistingCache: true);
            }
        });
        _app.UserTokenCache.SetAfterAccess(args =>
        {
            if (args.HasStateChanged)
            {
                SecureFile.WriteAllBytes(cacheFile, args.TokenCache.SerializeMsalV3());
            }
        });
    }

    public async Task<AuthenticationResult> LoginAsync(TextWriter prompt, CancellationToken cancellationToken)
    {
        try
        {
            return await _app.AcquireTokenWithDeviceCode(_scopes, code =>
                {
                    // MSAL's message names the URL and the code; it goes to stderr so stdout stays scriptable.
                    prompt.WriteLine(code.Message);
                    return Task.CompletedTask;
                })
                .ExecuteAsync(cancellationToken);
        }
        catch (MsalServiceException ex)
        {
            throw new CliException(ExitCodes.Auth, $"Entra ID sign-in failed: {ex.ErrorCode}: {ex.Message}");
        }
        catch (MsalClientException ex)
        {
            throw new CliException(ExitCodes.Auth, $"Entra ID sign-in failed: {ex.ErrorCode}: {ex.Message}");
        }
    }

    /// <summary>A valid access token from the cache, refreshed when needed; fails with exit 3 when a new login is needed.</summary>
    public async Task<string> AcquireSilentAsync(CancellationToken cancellationToken)
    {
        var account = (await _app.GetAccountsAsync()).FirstOrDefault()
            ?? throw new CliException(ExitCodes.Auth, "Not logged in to this profile.", ["Run: ldfleet login"]);
        try
        {
            return (await _app.AcquireTokenSilent(_scopes, account).ExecuteAsync(cancellationToken)).AccessToken;
        }
        catch (MsalUiRequiredException ex)
        {
            throw new CliException(ExitCodes.Auth, $"The Entra ID session needs a new login ({ex.ErrorCode}).", ["Run: ldfleet login"]);
        }
        catch (MsalServiceException ex)
        {
            throw new CliException(ExitCodes.Auth, $"Entra ID refused to refresh the token: {ex.ErrorCode}: {ex.Message}");
        }
    }

    public async Task LogoutAsync()
    {
        foreach (var account in await _app.GetAccountsAsync())
        {
            await _app.RemoveAsync(account);
        }
    }
}
