using System.Net.Http.Headers;
using System.Security.Cryptography;
using LdFleet.Functions.Api.Security;
using LdFleet.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LdFleet.Functions.Tests.Api;

/// <summary>
/// The cloud app in-process on a real Kestrel (127.0.0.1, real HTTP), on a private Azurite, with the
/// development issuer on. One Azurite and one app per mode are shared by the tests of the "api" collection, so
/// tests use their own site ids.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public static readonly string SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private readonly Lazy<FleetApp> _selfHosted;

    public ApiFixture() => _selfHosted = new(() => FleetApp.Start(Azurite.ConnectionString));

    public AzuriteServer Azurite { get; private set; } = null!;

    /// <summary>The app hosting itself (its own timers and queue consumer).</summary>
    public FleetApp SelfHosted => _selfHosted.Value;

    public async Task InitializeAsync() => Azurite = await AzuriteServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var app in new[] { _selfHosted }.Where(l => l.IsValueCreated).Select(l => l.Value))
        {
            await app.DisposeAsync();
        }

        await Azurite.DisposeAsync();
    }

    /// <summary>A fresh site id, so tests sharing the fixture never see each other's data.</summary>
    public static string NewSiteId(string prefix = "t") => prefix + Guid.NewGuid().ToString("N")[..10];
}

[CollectionDefinition("api")]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>;

/// <summary>One running app and clients for it.</summary>
public sealed class FleetApp : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    private FleetApp(WebApplicationFactory<Program> factory, Uri baseAddress)
    {
        _factory = factory;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _factory.Services;

    public static FleetApp Start(string storage, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var port = FreePort.Next();
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Development");
            b.UseSetting("Storage:ConnectionString", storage);
            b.UseSetting("Auth:DevIssuer:Enabled", "true");
            b.UseSetting("Auth:DevIssuer:SigningKey", ApiFixture.SigningKey);

            // Tests call fast and often from one caller; the limiter has its own test.
            b.UseSetting("Api:RateLimit:Burst", "100000");
            b.UseSetting("Api:RateLimit:PerSecond", "100000");
            b.UseSetting("RelayResults:MaxPollInterval", "00:00:00.200");
            b.UseSetting("urls", $"http://127.0.0.1:{port}");

            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                b.UseSetting(key, value);
            }

            if (services is not null)
            {
                b.ConfigureServices(services);
            }
        });
        factory.UseKestrel();
        factory.StartServer();
        return new FleetApp(factory, new Uri($"http://127.0.0.1:{port}"));
    }

    public static string Token(string? role, string name = "tester") =>
        DevTokenIssuer.Mint(new DevIssuerOptions { Enabled = true, SigningKey = ApiFixture.SigningKey }, name, role is null ? [] : [role], DateTimeOffset.UtcNow);

    /// <summary>A client with a token holding <paramref name="role"/> (null: a valid token without roles).</summary>
    public HttpClient Client(string? role, string name = "tester")
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(role, name));
        return client;
    }

    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();
}
