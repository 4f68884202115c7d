using System.Net;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Tests.Api;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;

namespace LdFleet.Functions.Tests.Security;

/// <summary><c>LdFleet.Functions dev-token</c>: mints only where the app would accept the token.</summary>
[Collection("api")]
public sealed class DevTokenCommandTests
{
    private readonly ApiFixture _fixture;

    public DevTokenCommandTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task InDevelopment_PrintsATokenTheAppAccepts_WithTheRequestedRole()
    {
        var (exit, output, _) = Run("Development", "dev-token", "--role", FleetRoles.Operate, "--name", "carol");

        Assert.Equal(0, exit);
        using var client = _fixture.SelfHosted.Anonymous();
        client.DefaultRequestHeaders.Authorization = new("Bearer", output.Trim());
        using var read = await client.GetAsync(new Uri("/api/sites", UriKind.Relative));
        using var admin = await client.GetAsync(new Uri("/api/audit", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
    }

    [Theory]
    [InlineData("Production", "--role", "Fleet.Admin")]
    [InlineData("Development", "--role", "Fleet.Root")]
    [InlineData("Development", "--lifetime", "forever")]
    public void Refuses_OutsideDevelopment_OrWithBadArguments(string environment, string flag, string value)
    {
        var (exit, output, error) = Run(environment, "dev-token", flag, value);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.NotEmpty(error);
    }

    private static (int Exit, string Output, string Error) Run(string environment, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:DevIssuer:Enabled"] = "true",
            ["Auth:DevIssuer:SigningKey"] = ApiFixture.SigningKey,
        }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = DevTokenCommand.Run(args, configuration, new HostingEnvironment { EnvironmentName = environment }, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
