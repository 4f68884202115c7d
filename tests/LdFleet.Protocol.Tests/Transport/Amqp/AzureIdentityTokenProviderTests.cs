using Azure.Core;
using LdFleet.Protocol.Transport.Amqp;

namespace LdFleet.Protocol.Tests.Transport.Amqp;

public sealed class AzureIdentityTokenProviderTests
{
    [Theory]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/", true)]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;TransportType=AmqpWebSockets", true)]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=relay;SharedAccessKey=abc", false)]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x", false)]
    [InlineData("UseDevelopmentStorage=true", false)]
    [InlineData("amqp://u:p@127.0.0.1:5672", false)]
    public void IsEndpointOnly_OnlyForServiceBusWithoutSas(string connectionString, bool expected) =>
        Assert.Equal(expected, AzureIdentityTokenProvider.IsEndpointOnly(connectionString));

    [Fact]
    public async Task GetToken_AsksForTheServiceBusScopeAndReturnsAJwt()
    {
        var credential = new RecordingCredential();
        var provider = new AzureIdentityTokenProvider(credential);

        var token = await provider.GetTokenAsync("sb://ns.servicebus.windows.net/ldfleet-results", default);

        Assert.Equal(["https://servicebus.azure.net/.default"], credential.Scopes);
        Assert.Equal("token-1", token.Token);
        Assert.Equal(ServiceBusAccessToken.JwtTokenType, token.TokenType);
        Assert.Equal(credential.ExpiresOn, token.ExpiresAt);
    }

    private sealed class RecordingCredential : TokenCredential
    {
        public string[] Scopes { get; private set; } = [];

        public DateTimeOffset ExpiresOn { get; } = new(2026, 11, 23, 13, 0, 0, TimeSpan.Zero);

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes = requestContext.Scopes;
            return new AccessToken("token-1", ExpiresOn);
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
