using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Apps;
using LdFleet.Functions.Audit;
using LdFleet.Functions.Batches;
using LdFleet.Functions.Dashboard;
using LdFleet.Functions.Diagnostics;
using LdFleet.Functions.Idempotency;
using LdFleet.Functions.Inventory;
using LdFleet.Functions.Operations;
using LdFleet.Functions.RelayResults;
using LdFleet.Functions.Sites;
using LdFleet.Functions.Storage;
using LdFleet.Functions.Telemetry;

namespace LdFleet.Functions.Hosting;

/// <summary>The app, whichever way it is hosted: its services and its one table of HTTP endpoints.</summary>
internal static class FleetAppComposition
{
    public static IHostApplicationBuilder AddFleetApp(this IHostApplicationBuilder builder)
    {
        builder.AddFleetTelemetry();
        builder.AddFleetStorage();
        builder.AddFleetSecurity();
        builder.AddFleetApi();
        builder.AddFleetAudit();
        builder.AddIdempotency();
        builder.AddOperations();
        builder.AddInventory();
        builder.AddSites();
        builder.AddApps();
        builder.AddRelayResults();
        builder.AddDashboard();
        return builder;
    }

    /// <summary>
    /// Every HTTP endpoint of the app. Self-hosted they are mapped as they are; under the Functions host each is the
    /// body of the HTTP function with the same route and method (<c>Hosting/Functions/ApiFunctions.cs</c>).
    /// </summary>
    public static IEndpointRouteBuilder MapFleetEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapFleetApi();
        endpoints.MapOperationsApi();
        endpoints.MapBatchesApi();
        endpoints.MapDiagnostics();
        endpoints.MapInventoryApi();
        endpoints.MapSitesApi();
        endpoints.MapAppsApi();
        endpoints.MapAuditApi();
        endpoints.MapDashboard();
        return endpoints;
    }
}
