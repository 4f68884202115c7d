using System.Text.Json;
using Azure.Data.Tables;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Storage;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Api.Health;

/// <summary>The answer of both health endpoints (a type so that the OpenAPI document describes it).</summary>
internal sealed record HealthView(string Status, string Version, DateTimeOffset StartedAt, TimeSpan Uptime, IReadOnlyDictionary<string, HealthCheckView> Checks);

/// <summary>One check of <see cref="HealthView"/>: Healthy, Degraded or Unhealthy, why, and how long it took.</summary>
internal sealed record HealthCheckView(string Status, string? Description, double DurationMs);

internal static class FleetHealth
{
    /// <summary>Checks that decide /health/ready: the dependencies without which no request can be served.</summary>
    public const string ReadyTag = "ready";

    /// <summary>How long one dependency may take to answer before it counts as down.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The answer of both health endpoints: the overall status, which build answers and since when (<c>uptime</c> is a
    /// TimeSpan as JSON writes it, <c>d.hh:mm:ss.fffffff</c>, like the relay's heartbeat uptime), and each check by name.
    /// </summary>
    /// <summary>
    /// Runs the checks <paramref name="predicate"/> selects and answers as the health check middleware does: 503 when
    /// one is unhealthy, else 200 (degraded is still serving), never cached.
    /// </summary>
    public static async Task ProbeAsync(HttpContext context, HealthCheckService health, Func<HealthCheckRegistration, bool> predicate, ProcessUptime process)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(health);
        var report = await health.CheckHealthAsync(predicate, context.RequestAborted);
        context.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store, no-cache";
        headers.Pragma = "no-cache";
        headers.Expires = "Thu, 01 Jan 1970 00:00:00 GMT";
        await WriteAsync(context, report, process);
    }

    private static Task WriteAsync(HttpContext context, HealthReport report, ProcessUptime process)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(process);
        context.Response.ContentType = "application/json";
        var body = new HealthView(
            report.Status.ToString(),
            ProcessUptime.Version,
            process.StartedAt.ToUniversalTime(),
            process.Uptime,
            report.Entries.ToDictionary(e => e.Key, e => new HealthCheckView(e.Value.Status.ToString(), e.Value.Description, Math.Round(e.Value.Duration.TotalMilliseconds, 1))));
        var json = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, json), context.RequestAborted);
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

/// <summary>
/// The Durable Task hub answers: a point read of an instance that never exists, through the task hub client the API
/// itself uses. Self-hosted that client reads the hub's instances table (the in-process worker's backend); under the
/// Functions host it is the request's <c>[DurableClient]</c> binding, so the host's Durable extension answers too.
/// </summary>
internal sealed class DurableHealthCheck : IHealthCheck
{
    /// <summary>An instance id no orchestration ever has (ids are operation and batch ids), so the read stays one cheap lookup.</summary>
    internal const string ProbeInstanceId = "ldfleet-health-probe";

    private readonly IHttpContextAccessor _http;
    private readonly IServiceProvider _services;

    public DurableHealthCheck(IHttpContextAccessor http, IServiceProvider services)
    {
        _http = http;
        _services = services;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        FleetHealth.ProbeAsync(
            async ct =>
            {
                // Health checks run in a DI scope of their own, but under the Functions host the client was handed to
                // the request's scope (see DurableClientScope); self-hosted both scopes have the process's client.
                var scope = (_http.HttpContext?.RequestServices ?? _services).GetRequiredService<DurableClientScope>();

                // WaitAsync: the self-hosted client's storage read does not take a cancellation token.
                await scope.Client.GetInstancesAsync(ProbeInstanceId, getInputsAndOutputs: false, ct).WaitAsync(ct);
            },
            "The Durable Task hub",
            cancellationToken);
}
