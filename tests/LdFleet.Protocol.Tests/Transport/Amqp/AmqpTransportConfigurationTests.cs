using LdFleet.Protocol.Transport;
using LdFleet.Protocol.Transport.Amqp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LdFleet.Protocol.Tests.Transport.Amqp;

public sealed class AmqpTransportConfigurationTests
{
    [Theory]
    [InlineData("amqp://guest:guest@127.0.0.1:5673", "amqp", "127.0.0.1", 5673, "guest")]
    [InlineData("amqps://relay:p%40ss@broker.example", "amqps", "broker.example", 5671, "relay")]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=relay;SharedAccessKey=abc=", "amqps", "ns.servicebus.windows.net", 5671, "relay")]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=relay;SharedAccessKey=abc;TransportType=AmqpWebSockets", "wss", "ns.servicebus.windows.net", 443, "relay")]
    [InlineData("Endpoint=sb://localhost:5673;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true", "amqp", "localhost", 5673, "k")]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=relay;SharedAccessKey=abc;EntityPath=commands-lab", "amqps", "ns.servicebus.windows.net", 5671, "relay")]
    public void TryParse_SupportedForms_GiveSchemeHostPortAndUser(string connectionString, string scheme, string host, int port, string user)
    {
        Assert.True(AmqpEndpoint.TryParse(connectionString, out var endpoint, out var error), error);
        Assert.Equal((scheme, host, port, user), (endpoint.Scheme, endpoint.Host, endpoint.Port, endpoint.UserName));
    }

    [Fact]
    public void TryParse_UrlEncodedPassword_IsDecoded()
    {
        Assert.True(AmqpEndpoint.TryParse("amqp://relay:p%40ss%3Bw@127.0.0.1:5673", out var endpoint, out _));
        Assert.Equal("p@ss;w", endpoint.Password);
    }

    [Theory]
    [InlineData("Endpoint=http://ns/;SharedAccessKeyName=a;SharedAccessKey=b", "not an sb:// URI")]
    [InlineData("Endpoint=sb://ns/;SharedAccessKeyName=a", "SharedAccessKeyName and SharedAccessKey together")]
    [InlineData("Endpoint=sb://ns/;SharedAccessKeyName=a;SharedAccessKey=b;TransportType=Http", "supported are Amqp and AmqpWebSockets")]
    public void TryParse_BadServiceBusStrings_ExplainWhy(string connectionString, string expected)
    {
        Assert.False(AmqpEndpoint.TryParse(connectionString + ";x=sb://", out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("amqp://guest:guest@127.0.0.1:5673", typeof(AmqpMessageQueueFactory))]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=relay;SharedAccessKey=abc", typeof(AmqpMessageQueueFactory))]
    [InlineData("UseDevelopmentStorage=true", typeof(StorageQueueFactory))]
    public async Task AddFleetTransport_PicksTheAdapterByConnectionString(string connectionString, Type expected)
    {
        await using var provider = Build(connectionString);
        Assert.IsType(expected, provider.GetRequiredService<IMessageQueueFactory>());
    }

    [Theory]
    [InlineData("hello", "is not recognised")]
    [InlineData("Endpoint=sb://ns/;SharedAccessKeyName=a", "SharedAccessKeyName and SharedAccessKey together")]
    public async Task AddFleetTransport_BadConnectionString_FailsValidationWithClearMessage(string connectionString, string expected)
    {
        await using var provider = Build(connectionString);
        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TransportOptions>>().Value);
        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddFleetTransport_OutOfRangeAmqpOption_FailsValidation()
    {
        await using var provider = Build("amqp://127.0.0.1:5673", ("Transport:Amqp:PrefetchCount", "9999"));
        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AmqpTransportOptions>>().Value);
        Assert.Contains("PrefetchCount", failure.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(string connectionString, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["Transport:ConnectionString"] = connectionString };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddFleetTransport();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
