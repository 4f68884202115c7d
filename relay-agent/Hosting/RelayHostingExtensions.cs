using LdFleet.Protocol.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Hosting;

internal static class RelayHostingExtensions
{
    public static HostApplicationBuilder AddRelayOptions(this HostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RelayOptions>()
            .BindConfiguration(RelayOptions.SectionName)
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.JournalPath))
                {
                    var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
                    o.JournalPath = Path.Combine(data.Length > 0 ? data : AppContext.BaseDirectory, "LdFleet", $"relay-{o.SiteId}.db");
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RelayOptions>, RelayOptionsValidator>());

        // The host's default 30 s grace is what kept a stopping relay alive for half a minute when the broker went
        // down with it (dev.sh stops everything at once): each in-flight command's abandon retried against a dead
        // queue. Read straight from configuration, not from the validated RelayOptions, which would throw while the
        // host is being built; a malformed value is reported by RelayOptionsValidator.
        builder.Services.Configure<HostOptions>(o =>
        {
            if (TimeSpan.TryParse(builder.Configuration["Relay:ShutdownTimeout"], System.Globalization.CultureInfo.InvariantCulture, out var timeout)
                && timeout >= TimeSpan.FromSeconds(1) && timeout <= TimeSpan.FromMinutes(1))
            {
                o.ShutdownTimeout = timeout;
            }
            else
            {
                o.ShutdownTimeout = new RelayOptions().ShutdownTimeout;
            }
        });

        // Relay:ClockOffset (tests only) shifts the relay's clock against the cloud's, to prove clock skew between
        // a site PC and Azure neither loses nor repeats a command; refused outside Development.
        var offset = builder.Configuration.GetValue("Relay:ClockOffset", TimeSpan.Zero);
        if (offset != TimeSpan.Zero && !builder.Environment.IsDevelopment())
        {
            throw new InvalidOperationException("Relay:ClockOffset is a fault-injection switch for tests and is refused outside the Development environment.");
        }

        builder.Services.TryAddSingleton(offset == TimeSpan.Zero ? TimeProvider.System : new OffsetTimeProvider(offset));
        return builder;
    }

    private sealed class OffsetTimeProvider(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
