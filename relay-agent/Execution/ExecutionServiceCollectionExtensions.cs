using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LdFleet.Relay.Execution;

internal static class ExecutionServiceCollectionExtensions
{
    public static HostApplicationBuilder AddCommandExecution(this HostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<CommandExecutor>();
        builder.Services.TryAddSingleton<CommandJournal>();
        builder.Services.TryAddSingleton<Reporting.RelayActivity>();
        builder.Services.AddHostedService<JournalPruner>();
        return builder;
    }
}
