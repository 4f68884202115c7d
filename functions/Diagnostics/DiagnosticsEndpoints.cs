using LdFleet.Functions.Api.Security;
using LdFleet.Protocol.Transport;

namespace LdFleet.Functions.Diagnostics;

internal static class DiagnosticsEndpoints
{
    /// <summary>
    /// Storage request totals since start, for the benchmark harness. Off unless <c>Diagnostics:StorageCounters</c>
    /// is true (the same figures are always available as the <c>ldfleet.storage.requests</c> metric).
    /// </summary>
    public static IEndpointRouteBuilder MapDiagnostics(this IEndpointRouteBuilder endpoints)
    {
        var configuration = endpoints.ServiceProvider.GetRequiredService<IConfiguration>();
        if (configuration.GetValue("Diagnostics:StorageCounters", false))
        {
            endpoints.MapGet("/diagnostics/storage-requests", (StorageRequestCounter counter) =>
                TypedResults.Ok(new { tables = counter.Tables, queues = counter.Queues, blobs = counter.Blobs, total = counter.Total, queueSends = counter.QueueSends, queueDeletes = counter.QueueDeletes }))
                .RequireAuthorization(FleetPolicies.Admin)

                // A benchmark aid, off in deployments: not part of the API's contract.
                .ExcludeFromDescription();
        }

        return endpoints;
    }
}
