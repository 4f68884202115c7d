namespace LdFleet.Functions.Dashboard;

/// <summary>
/// The browser dashboard at <c>/dashboard/</c>. Sign-in uses the Entra ID app registration in <c>AzureAd</c> when it is
/// configured (MSAL.js, redirect flow), and the development issuer's pasted tokens when that is enabled.
/// </summary>
internal sealed class DashboardOptions
{
    public const string SectionName = "Dashboard";

    /// <summary>Serves the dashboard; on by default.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The client id the browser signs in with (an app registration with the single-page-application platform and
    /// <c>https://host/dashboard/</c> as redirect URI). Defaults to <c>AzureAd:ClientId</c>, when the API's own
    /// registration also has the SPA platform.
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>The scopes the browser asks for; defaults to <c>api://{AzureAd:ClientId}/.default</c> (the app roles).</summary>
    public string[]? Scopes { get; set; }
}
