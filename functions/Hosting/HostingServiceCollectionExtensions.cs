using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LdFleet.Functions.Hosting;

internal static class HostingServiceCollectionExtensions
{
    /// <summary>
    /// In custom-handler mode Kestrel listens on 127.0.0.1 at the port the Functions host picked, and only
    /// there: the invocation endpoints (<c>POST /{functionName}</c>) must be reachable by the host alone.
    /// </summary>
    public static WebApplicationBuilder AddFleetHosting(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            if (HostingMode.CustomHandlerPort(context.Configuration) is { } port)
            {
                kestrel.Listen(IPAddress.Loopback, port);
            }
        });
        return builder;
    }

    /// <summary>
    /// Registers <typeparamref name="T"/> as a singleton and runs it as a background service only when the app
    /// hosts itself (no <c>FUNCTIONS_CUSTOMHANDLER_PORT</c>). The singleton stays resolvable in both modes, so an
    /// invocation endpoint can call into the same instance.
    /// </summary>
    public static IServiceCollection AddSelfHostedWorker<T>(this IServiceCollection services)
        where T : class, IHostedService
    {
        services.TryAddSingleton<T>();
        services.AddHostedService<SelfHostedWorker<T>>();
        return services;
    }
}
