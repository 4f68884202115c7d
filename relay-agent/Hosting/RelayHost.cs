using LdFleet.Relay.Execution;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.Polling;
using LdFleet.Relay.Reporting;
using LdFleet.Relay.Telemetry;
using Microsoft.Extensions.Hosting.WindowsServices;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Hosting;

/// <summary>
/// How the relay process starts: as a Windows service (the SCM started it) or as a console app, with the same
/// composition either way, and with exit codes a service manager or a script can act on.
/// </summary>
internal static partial class RelayHost
{
    /// <summary>The Windows service name; scripts/relay/Install-LdFleetRelay.ps1 registers the service under it.</summary>
    public const string ServiceName = "LdFleetRelay";

    /// <summary>
    /// <c>--settings &lt;path&gt;</c>: a JSON settings file outside the install folder (the install script writes one
    /// under ProgramData, readable only by the relay's account, because it holds the transport keys).
    /// </summary>
    public const string SettingsKey = "settings";

    public static async Task<int> RunAsync(string[] args, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args is [InventoryCommand.Name, ..])
        {
            return await InventoryCommand.RunAsync(args[1..], Console.Out, stderr);
        }

        if (!TryCreateBuilder(args, stderr, out var builder))
        {
            return RelayExitCodes.BadConfiguration;
        }

        Compose(builder);
        using var host = builder.Build();
        try
        {
            // The checks ValidateOnStart registers, run here rather than inside StartAsync, so a bad configuration is
            // reported as a list of settings to fix instead of a "Hosting failed to start" stack trace.
            host.Services.GetService<IStartupValidator>()?.Validate();
        }
        catch (Exception ex) when (ConfigurationFailures(ex) is { } failures)
        {
            // A service has no console: there the list goes to the log, which AddWindowsService sends to the Event Log.
            if (IsWindowsService)
            {
                LogBadConfiguration(host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RelayHost).FullName!), string.Join(Environment.NewLine, failures));
            }
            else
            {
                await WriteFailuresAsync(stderr, failures);
            }

            return RelayExitCodes.BadConfiguration;
        }

        try
        {
            await host.RunAsync(cancellationToken);
            return RelayExitCodes.Success;
        }
        catch (Exception ex) when (ConfigurationFailures(ex) is { } failures)
        {
            await WriteFailuresAsync(stderr, failures);
            return RelayExitCodes.BadConfiguration;
        }
    }

    /// <summary>
    /// The host builder with the relay's configuration sources: appsettings.json beside the executable (the content
    /// root is the install folder, not the working directory, which is System32 for a service), environment
    /// variables, the optional <c>--settings</c> file, then command-line arguments.
    /// </summary>
    public static bool TryCreateBuilder(string[] args, TextWriter stderr, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HostApplicationBuilder? builder)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (builder.Configuration[SettingsKey] is { Length: > 0 } settings)
        {
            var path = Path.GetFullPath(settings);
            if (!File.Exists(path))
            {
                stderr.WriteLine($"The relay configuration is not valid:\n  --settings: no file at '{path}'.");
                builder = null;
                return false;
            }

            builder.Configuration.AddJsonFile(path, optional: false, reloadOnChange: false);

            // Added again so the command line still outranks the settings file, as it outranks everything else.
            builder.Configuration.AddCommandLine(args);
        }

        // Context-aware: only when the SCM started the process does this switch the lifetime to the service one and
        // log to the Event Log under the application's name; a console run is left as it is.
        builder.Services.AddWindowsService(o => o.ServiceName = ServiceName);
        return true;
    }

    /// <summary>Every capability of the relay; the same for the service, the console and the host tests.</summary>
    public static HostApplicationBuilder Compose(HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddRelayTelemetry();
        builder.AddRelayOptions();
        builder.AddRelayCredentials();
        builder.AddLdPlayerHosts();
        builder.AddCommandExecution();
        builder.AddCommandPolling();
        builder.AddRelayReporting();
        return builder;
    }

    /// <summary>Whether the SCM started this process; the install script's Service mode relies on it.</summary>
    public static bool IsWindowsService => WindowsServiceHelpers.IsWindowsService();

    /// <summary>The option validation messages behind a failed start, or null when the failure is something else.</summary>
    internal static IReadOnlyList<string>? ConfigurationFailures(Exception exception) => exception switch
    {
        OptionsValidationException options => options.Failures.ToList(),

        // Start-up validation reports several failing option types at once as an AggregateException.
        AggregateException aggregate when aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => e is OptionsValidationException) =>
            aggregate.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures).ToList(),
        _ => null,
    };

    internal static async Task WriteFailuresAsync(TextWriter stderr, IEnumerable<string> failures)
    {
        await stderr.WriteLineAsync("The relay configuration is not valid:");
        foreach (var failure in failures)
        {
            await stderr.WriteLineAsync("  " + failure);
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Critical, Message = "The relay configuration is not valid; the relay stops (exit code 2):\n{Failures}")]
    private static partial void LogBadConfiguration(ILogger logger, string failures);
}

/// <summary>
/// Exit codes, the contract with whatever restarts the relay. 2 means an operator must fix the configuration;
/// restarting does not help. 1 is any other failure, worth a restart after a pause (the install script sets the
/// service's recovery, or the scheduled task's restart, to one minute).
/// </summary>
internal static class RelayExitCodes
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int BadConfiguration = 2;
}
