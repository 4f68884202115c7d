using LdFleet.Protocol.Sites;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Inventory;

/// <summary>Relay status as the API shows it.</summary>
internal sealed record RelayStatusView(string SiteId, bool Online, DateTimeOffset LastHeartbeat, string Version, string InstanceId, DateTimeOffset StartedAt, IReadOnlyList<string> HostIds, int CommandsInFlight);

internal static class InventoryEndpoints
{
    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/sites/{siteId}");
        api.MapGet("/relay", GetRelayAsync).WithName("GetRelayStatus");
        api.MapGet("/emulators", ListEmulatorsAsync).WithName("ListEmulators");
        return endpoints;
    }

    private static async Task<Results<Ok<RelayStatusView>, ProblemHttpResult, ValidationProblem>> GetRelayAsync(
        string siteId, InventoryStore store, TimeProvider time, IOptions<RelaysOptions> options, CancellationToken cancellationToken)
    {
        if (FleetIds.ValidateSiteId(siteId) is { } error)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["siteId"] = [error] }, type: ProblemTypes.Validation);
        }

        var relay = await store.GetRelayAsync(siteId, cancellationToken);
        if (relay is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No relay has reported", detail: $"No relay of site '{siteId}' has sent a heartbeat yet.", type: ProblemTypes.NotFound);
        }

        var online = time.GetUtcNow() - relay.LastHeartbeat <= options.Value.OfflineAfter;
        return TypedResults.Ok(new RelayStatusView(relay.SiteId, online, relay.LastHeartbeat, relay.Version, relay.InstanceId, relay.StartedAt, relay.HostIds, relay.CommandsInFlight));
    }

    private static async Task<Results<Ok<IReadOnlyList<EmulatorRecord>>, ValidationProblem>> ListEmulatorsAsync(
        string siteId, string? hostId, string? state, InventoryStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (FleetIds.ValidateSiteId(siteId) is { } siteError)
        {
            errors["siteId"] = [siteError];
        }

        if (hostId is not null && FleetIds.ValidateHostId(hostId) is { } hostError)
        {
            errors["hostId"] = [hostError];
        }

        if (state is not null and not ("stopped" or "starting" or "running"))
        {
            errors["state"] = ["state is one of stopped, starting, running."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, type: ProblemTypes.Validation);
        }

        var emulators = await store.ListEmulatorsAsync(siteId, hostId, cancellationToken);
        IReadOnlyList<EmulatorRecord> filtered = state is null ? emulators : emulators.Where(e => e.State == state).ToList();
        return TypedResults.Ok(filtered);
    }
}
