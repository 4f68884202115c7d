using System.Text.Json;
using Azure.Data.Tables;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LdFleet.Functions.Api.Health;

internal static class FleetHealth
{
    /// <summary>Checks that decide /health/ready: the dependencies without which no request can be served.</summary>
    public const string ReadyTag = "ready";

    /// <summary>How long one dependency may take to answer before it counts as down.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description, durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1) }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), context.RequestAborted);
    }

    public static async Task<HealthCheckResult> ProbeAsync(Func<CancellationToken, Task> probe, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await probe(timeout.Token);
            return HealthCheckResult.Healthy($"{what} answered.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The reason stays in the server log; the public answer names only the dependency.
            return HealthCheckResult.Unhealthy($"{what} did not answer within {ProbeTimeout.TotalSeconds:0} s or failed.", ex);
        }
    }
}

/// <summary>Azure Tables answers a query (the operations table exists).</summary>
internal sealed class TablesHealthCheck : IHealthCheck
{
    private readonly TableServiceClient _tables;

    public TablesHealthCheck(TableServiceClient tables) => _tables = tables;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        FleetHealth.ProbeAsync(
            async ct =>
            {
                await foreach (var _ in _tables.QueryAsync(t => t.Name == FleetTables.Operations, maxPerPage: 1, cancellationToken: ct))
                {
                    return;
                }

                throw new InvalidOperationException($"Table '{FleetTables.Operations}' does not exist.");
            },
            "Azure Tables",
            cancellationToken);
}

/// <summary>The results queue (always a Storage queue) is there.</summary>
internal sealed class TransportHealthCheck : IHealthCheck
{
    private readonly IMessageQueueFactory _queues;

    public TransportHealthCheck(IMessageQueueFactory queues) => _queues = queues;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        FleetHealth.ProbeAsync(ct => _queues.Open(QueueNames.Results).EnsureExistsAsync(ct), "The message transport", cancellationToken);
}
