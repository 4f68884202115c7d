using LdFleet.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Tests.Security;

/// <summary>Configuration is checked at start-up; unsafe combinations stop the app with a message naming the setting.</summary>
public sealed class StartupSecurityTests
{
    private const string Key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    [Fact]
    public void DevIssuer_OutsideDevelopment_StopsTheApp()
    {
        var error = StartFailure("Staging", ("Auth:DevIssuer:Enabled", "true"), ("Auth:DevIssuer:SigningKey", Key), ("AzureAd:TenantId", "t"), ("AzureAd:ClientId", "c"));

        Assert.Contains("Auth:DevIssuer:Enabled is true in the 'Staging' environment", error, StringComparison.Ordinal);
    }

    [Fact]
    public void NoAuthentication_StopsTheApp()
    {
        var error = StartFailure("Development");

        Assert.Contains("No way to authenticate callers", error, StringComparison.Ordinal);
    }

    [Fact]
    public void DevIssuer_WithWeakKey_StopsTheApp()
    {
        var error = StartFailure("Development", ("Auth:DevIssuer:Enabled", "true"), ("Auth:DevIssuer:SigningKey", "c2hvcnQ="));

        Assert.Contains("Auth:DevIssuer:SigningKey must be base64 of at least 32", error, StringComparison.Ordinal);
    }

    [Fact]
    public void InsecureProductionSettings_AreAllNamed()
    {
        var error = StartFailure("Production", ("AzureAd:TenantId", "t"), ("AzureAd:ClientId", "c"), ("Api:Cors:AllowedOrigins:0", "*"), ("Transport:ConnectionString", "UseDevelopmentStorage=true"));

        Assert.Contains("Api:Cors:AllowedOrigins contains '*'", error, StringComparison.Ordinal);
        Assert.Contains("Storage:ConnectionString points at the local storage emulator in Production", error, StringComparison.Ordinal);
        Assert.Contains("Transport:ConnectionString points at the local storage emulator in Production", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BadTransportString_StopsTheApp()
    {
        var error = StartFailure("Development", ("Auth:DevIssuer:Enabled", "true"), ("Auth:DevIssuer:SigningKey", Key), ("Transport:ConnectionString", "tcp://nowhere"));

        Assert.Contains("Transport:ConnectionString is not recognised", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EntraWithoutInstance_UsesThePublicCloud_AndAnonymousEndpointsAnswer()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        using var factory = Factory("Development", ("Storage:ConnectionString", azurite.ConnectionString), ("AzureAd:TenantId", "00000000-0000-0000-0000-000000000001"), ("AzureAd:ClientId", "00000000-0000-0000-0000-000000000002"));
        using var client = factory.CreateClient();

        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        using var sites = await client.GetAsync(new Uri("/api/sites", UriKind.Relative));

        Assert.True(live.StatusCode == System.Net.HttpStatusCode.OK, await live.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, sites.StatusCode);
    }

    private static string StartFailure(string environment, params (string Key, string Value)[] settings)
    {
        using var factory = Factory(environment, settings);
        return Assert.ThrowsAny<OptionsValidationException>(() => factory.CreateClient()).Message;
    }

    private static WebApplicationFactory<Program> Factory(string environment, params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment(environment);
            b.UseSetting("Storage:ConnectionString", "UseDevelopmentStorage=true");
            foreach (var (key, value) in settings)
            {
                b.UseSetting(key, value);
            }
        });
}
