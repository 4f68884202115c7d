using LdFleet.Relay.LdPlayer;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Hosting;

/// <summary>
/// <c>LdFleet.Relay inventory</c>: prints every configured host's emulators as JSON, so an operator can check a
/// new install (paths, code page, session) before connecting it to the cloud. Exit 0 when every host answered.
/// </summary>
internal static class InventoryCommand
{
    public const string Name = "inventory";

    public const int Success = RelayExitCodes.Success;
    public const int HostFailed = RelayExitCodes.Failed;
    public const int BadConfiguration = RelayExitCodes.BadConfiguration;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Contains("--help") || args.Contains("-h"))
        {
            await stdout.WriteLineAsync("Usage: LdFleet.Relay inventory [--settings <file>] [--Relay:Hosts:0:LdConsolePath=...]\nPrints the emulators of every configured LDPlayer host as JSON; uses the relay's normal configuration.");
            return Success;
        }

        // The same configuration sources as the relay itself, --settings included, so the check sees what the relay will.
        if (!RelayHost.TryCreateBuilder(args, stderr, out var builder))
        {
            return BadConfiguration;
        }

        builder.Logging.ClearProviders();
        builder.AddRelayOptions();
        builder.AddLdPlayerHosts();
        using var host = builder.Build();

        LdPlayerHostRegistry hosts;
        try
        {
            _ = host.Services.GetRequiredService<IOptions<RelayOptions>>().Value;
            hosts = host.Services.GetRequiredService<LdPlayerHostRegistry>();
        }
        catch (OptionsValidationException ex)
        {
            await stderr.WriteLineAsync("The relay configuration is not valid:");
            foreach (var failure in ex.Failures)
            {
                await stderr.WriteLineAsync("  " + failure);
            }

            return BadConfiguration;
        }

        var driver = host.Services.GetRequiredService<LdPlayerDriver>();
        var siteId = host.Services.GetRequiredService<IOptions<RelayOptions>>().Value.SiteId;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var results = await Task.WhenAll(hosts.All.Select(async h =>
        {
            try
            {
                var (emulators, error) = await driver.ListAsync(h, timeout.Token);
                return InventoryJson.Report(siteId, h.Id, DateTimeOffset.UtcNow, emulators, error);
            }
            catch (IOException ex)
            {
                // An SSH host that cannot be reached (or whose circuit opened): that host fails, the others still print.
                return InventoryJson.Report(siteId, h.Id, DateTimeOffset.UtcNow, null, ex.Message);
            }
        }));

        await stdout.WriteLineAsync(InventoryJson.Serialize(results));
        var failed = results.Where(r => r.Error is not null).ToList();
        foreach (var f in failed)
        {
            await stderr.WriteLineAsync($"Host {f.HostId}: {f.Error}");
        }

        return failed.Count == 0 ? Success : HostFailed;
    }
}
