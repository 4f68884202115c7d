using System.Net;
using System.Security.Cryptography;
using System.Text;
using LdFleet.Protocol.Transport;
using LdFleet.Protocol.Transport.Amqp;
using LdFleet.Relay.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LdFleet.Relay.Tests.Hosting;

/// <summary>A relay with two entity-level SAS rules: its command queue's and the results queue's.</summary>
public sealed class SiteServiceBusCredentialsTests
{
    private const string CommandsKey = "Q29tbWFuZHNLZXlTZWNyZXQ=";
    private const string ResultsKey = "UmVzdWx0c0tleVNlY3JldA==";
    private const string Commands = $"Endpoint=sb://fleet.servicebus.windows.net/;SharedAccessKeyName=relay-lab;SharedAccessKey={CommandsKey};EntityPath=ldfleet-site-lab";
    private const string Results = $"Endpoint=sb://fleet.servicebus.windows.net/;SharedAccessKeyName=relay-lab;SharedAccessKey={ResultsKey};EntityPath=ldfleet-results";

    [Fact]
    public void Check_TheTwoRulesOfTheSite_AreAccepted()
    {
        var errors = SiteServiceBusCredentials.Check(Commands, Results, "lab", out var rules);

        Assert.Empty(errors);
        Assert.Equal("ldfleet-site-lab", rules!.Value.Commands.EntityPath);
        Assert.Equal("ldfleet-results", rules.Value.Results.EntityPath);
    }

    [Theory]
    [InlineData(Commands, Results, "other", "is a rule on queue 'ldfleet-site-lab', but site 'other' receives from 'ldfleet-site-other'")]
    [InlineData(Results, Results, "lab", "is a rule on queue 'ldfleet-results', but site 'lab' receives from 'ldfleet-site-lab'")]
    [InlineData(Commands, Commands, "lab", "Relay:ResultsConnectionString is a rule on queue 'ldfleet-site-lab', but results go to 'ldfleet-results'")]
    [InlineData(Commands, "Endpoint=sb://elsewhere.servicebus.windows.net/;SharedAccessKeyName=r;SharedAccessKey=eA==", "lab", "names namespace 'elsewhere.servicebus.windows.net'")]
    [InlineData("UseDevelopmentStorage=true", Results, "lab", "Transport:ConnectionString: is not a Service Bus connection string")]
    [InlineData(Commands, "Endpoint=sb://fleet.servicebus.windows.net/", "lab", "Relay:ResultsConnectionString: must carry a SAS rule")]
    public void Check_Mismatches_AreNamedWithoutTheKeys(string transport, string results, string site, string expected)
    {
        var errors = SiteServiceBusCredentials.Check(transport, results, site, out var rules);

        Assert.Null(rules);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.DoesNotContain(CommandsKey, e, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.DoesNotContain(ResultsKey, e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TokenProvider_SignsEachQueueWithItsOwnRule()
    {
        SiteServiceBusCredentials.Check(Commands, Results, "lab", out var rules);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var provider = new SiteSasTokenProvider(rules!.Value.Commands, rules.Value.Results, TimeSpan.FromHours(1), time);

        var receive = await provider.GetTokenAsync("sb://fleet.servicebus.windows.net/ldfleet-site-lab", default);
        var renew = await provider.GetTokenAsync("sb://fleet.servicebus.windows.net/ldfleet-site-lab/$management", default);
        var send = await provider.GetTokenAsync("sb://fleet.servicebus.windows.net/ldfleet-results", default);

        Assert.Equal(ServiceBusAccessToken.SasTokenType, receive.TokenType);
        Assert.Equal(time.GetUtcNow().AddHours(1), receive.ExpiresAt);
        Assert.Equal(Expected("sb://fleet.servicebus.windows.net/ldfleet-site-lab", CommandsKey, 1_800_003_600), receive.Token);
        Assert.Equal(receive.Token, renew.Token);
        Assert.Equal(Expected("sb://fleet.servicebus.windows.net/ldfleet-results", ResultsKey, 1_800_003_600), send.Token);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await provider.GetTokenAsync("sb://fleet.servicebus.windows.net/ldfleet-site-other", default));
    }

    [Fact]
    public void SasConnection_ToString_LeavesTheKeyOut()
    {
        Assert.True(SasConnection.TryParse(Commands, out var connection, out _));

        Assert.DoesNotContain(CommandsKey, connection.ToString(), StringComparison.Ordinal);
        Assert.Equal("Endpoint=sb://fleet.servicebus.windows.net/", connection.EndpointOnly);
    }

    [Fact]
    public void Relay_WithBothRules_ConnectsWithTheEndpointAloneAndTakesTokensFromThem()
    {
        var journal = Path.Combine(Path.GetTempPath(), $"relay-{Guid.NewGuid():N}.db");
        Assert.True(RelayHost.TryCreateBuilder(
            [
                "--Relay:SiteId=lab", $"--Relay:JournalPath={journal}", "--Relay:Hosts:0:Id=pc-1",
                $"--Relay:Hosts:0:LdConsolePath={typeof(SiteServiceBusCredentialsTests).Assembly.Location}",
                $"--Transport:ConnectionString={Commands};TransportType=AmqpWebSockets", $"--Relay:ResultsConnectionString={Results}",
            ],
            TextWriter.Null,
            out var builder));
        using var host = RelayHost.Compose(builder).Build();

        host.Services.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal("Endpoint=sb://fleet.servicebus.windows.net/;TransportType=AmqpWebSockets", host.Services.GetRequiredService<IOptions<TransportOptions>>().Value.ConnectionString);
        Assert.IsType<SiteSasTokenProvider>(host.Services.GetRequiredService<IServiceBusTokenProvider>());
    }

    [Fact]
    public void Relay_WithOneConnectionString_RegistersNoTokenProvider()
    {
        Assert.True(RelayHost.TryCreateBuilder(["--Transport:ConnectionString=" + Commands], TextWriter.Null, out var builder));
        using var host = RelayHost.Compose(builder).Build();

        Assert.Null(host.Services.GetService<IServiceBusTokenProvider>());
        Assert.Equal(Commands, host.Services.GetRequiredService<IOptions<TransportOptions>>().Value.ConnectionString);
    }

    // Reference A.2: sig = base64(HMAC-SHA256(key, urlencode(resource) + "\n" + expiry)).
    private static string Expected(string resource, string key, long expiry)
    {
        var encoded = WebUtility.UrlEncode(resource);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"{encoded}\n{expiry}")));
        return $"SharedAccessSignature sr={encoded}&sig={WebUtility.UrlEncode(signature)}&se={expiry}&skn=relay-lab";
    }
}
