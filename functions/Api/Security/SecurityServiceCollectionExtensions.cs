using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LdFleet.Functions.Api.Security;

/// <summary>Authentication scheme names.</summary>
internal static class FleetSchemes
{
    /// <summary>The default: forwards to <see cref="Entra"/> or <see cref="DevIssuer"/> by the token's issuer.</summary>
    public const string Fleet = "Fleet";

    /// <summary>Microsoft.Identity.Web's JWT bearer validation against Entra ID.</summary>
    public const string Entra = JwtBearerDefaults.AuthenticationScheme;

    /// <summary>The local development issuer (symmetric key).</summary>
    public const string DevIssuer = "DevIssuer";
}

internal static class SecurityServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddFleetSecurity(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EntraOptions>().BindConfiguration(EntraOptions.SectionName);
        services.AddOptions<DevIssuerOptions>()
            .BindConfiguration(DevIssuerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DevIssuerOptions>, AuthOptionsValidator>();

        var authentication = services.AddAuthentication(FleetSchemes.Fleet)
            .AddPolicyScheme(FleetSchemes.Fleet, "Entra ID, or the development issuer when enabled", o => o.ForwardDefaultSelector = SelectScheme)
            .AddJwtBearer(FleetSchemes.DevIssuer, _ => { });

        // Registered always but only ever selected when AzureAd:ClientId is set (the options are bound lazily, so an
        // unconfigured section costs nothing until used).
        authentication.AddMicrosoftIdentityWebApi(builder.Configuration.GetSection(EntraOptions.SectionName), FleetSchemes.Entra);

        // Microsoft.Identity.Web has no default authority host: without AzureAd:Instance every request (anonymous
        // ones too, as authentication runs first) failed with IDW10106. Entra's public cloud is the default our
        // own options and docs promise. (A Configure, not a PostConfigure: Identity.Web copies these options into its
        // merged options in a post-configure step of its own.)
        services.Configure<MicrosoftIdentityOptions>(FleetSchemes.Entra, o =>
        {
            if (string.IsNullOrWhiteSpace(o.Instance))
            {
                o.Instance = new EntraOptions().Instance;
            }
        });
        services.PostConfigure<JwtBearerOptions>(FleetSchemes.Entra, o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters.RoleClaimType = "roles";
            o.TokenValidationParameters.NameClaimType = "name";
        });

        services.AddOptions<JwtBearerOptions>(FleetSchemes.DevIssuer).Configure<IOptions<DevIssuerOptions>>((o, dev) =>
        {
            var options = dev.Value;
            o.MapInboundClaims = false;
            o.RequireHttpsMetadata = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = options.Issuer,
                ValidAudience = options.Audience,
                IssuerSigningKey = new SymmetricSecurityKey(options.KeyBytes() ?? new byte[32]),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                RoleClaimType = "roles",
                NameClaimType = "name",
                ClockSkew = TimeSpan.FromSeconds(30),
            };
        });

        services.AddAuthorizationBuilder()
            .AddPolicy(FleetPolicies.Read, Policy(FleetRoles.Read))
            .AddPolicy(FleetPolicies.Operate, Policy(FleetRoles.Operate))
            .AddPolicy(FleetPolicies.Admin, Policy(FleetRoles.Admin))

            // An endpoint that names no policy still needs a signed-in caller; the role-matrix test makes sure
            // none is left that way.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(FleetSchemes.Fleet).RequireAuthenticatedUser().Build());
        return builder;
    }

    private static AuthorizationPolicy Policy(string role) =>
        new AuthorizationPolicyBuilder(FleetSchemes.Fleet)
            .RequireAuthenticatedUser()
            .AddRequirements(new FleetRoleRequirement(role))
            .Build();

    private static string SelectScheme(HttpContext context)
    {
        var dev = context.RequestServices.GetRequiredService<IOptions<DevIssuerOptions>>().Value;
        if (!dev.Enabled)
        {
            return FleetSchemes.Entra;
        }

        if (!context.RequestServices.GetRequiredService<IOptions<EntraOptions>>().Value.IsConfigured)
        {
            return FleetSchemes.DevIssuer;
        }

        // Both are on (a developer testing against a real tenant): the unvalidated issuer only picks which
        // validator runs; that validator then checks everything, the issuer included.
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                if (new JsonWebToken(header["Bearer ".Length..].Trim()).Issuer == dev.Issuer)
                {
                    return FleetSchemes.DevIssuer;
                }
            }
            catch (ArgumentException)
            {
                // Not a JWT at all: Entra's validator rejects it.
            }
        }

        return FleetSchemes.Entra;
    }
}
