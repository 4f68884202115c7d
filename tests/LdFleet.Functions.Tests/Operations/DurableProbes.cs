using LdFleet.Functions.Durable.SelfHosted;
using Microsoft.DurableTask;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>Orchestrations that only probe how the self-hosted backend behaves (registered beside the app's own).</summary>
internal static class DurableProbes
{
    public const string Parent = "ProbeParent";
    public const string Child = "ProbeChild";

    public static ExtraDurableTasks Tasks { get; } = new(registry => registry
        .AddOrchestratorFunc<string, string?>(Parent, (context, _) => context.CallSubOrchestratorAsync<string?>(Child))
        .AddOrchestratorFunc<string, string?>(Child, (context, _) => Task.FromResult(context.Parent is { } parent ? $"{parent.Name}/{parent.InstanceId}" : null)));
}
