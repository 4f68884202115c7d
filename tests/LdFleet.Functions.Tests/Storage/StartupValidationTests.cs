using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Tests.Storage;

public sealed class StartupValidationTests
{
    [Fact]
    public void Start_WithoutStorageConnection_FailsWithClearMessage()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => DevIssuer(b).UseSetting("Storage:ConnectionString", ""));

        var error = Assert.ThrowsAny<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("Storage:ConnectionString is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_WithBadDeliveryTimeout_FailsNamingTheSetting()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => DevIssuer(b)
            .UseSetting("Storage:ConnectionString", "UseDevelopmentStorage=true")
            .UseSetting("Operations:DeliveryTimeout", "00:00:00"));

        var error = Assert.ThrowsAny<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("Operations:DeliveryTimeout", error.Message, StringComparison.Ordinal);
    }

    // Authentication is configured, so the setting under test is the only thing wrong.
    private static Microsoft.AspNetCore.Hosting.IWebHostBuilder DevIssuer(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder) => builder
        .UseSetting("environment", "Development")
        .UseSetting("Auth:DevIssuer:Enabled", "true")
        .UseSetting("Auth:DevIssuer:SigningKey", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
}
