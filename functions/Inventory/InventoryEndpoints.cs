using System.Globalization;
using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Security;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Inventory;

/// <summary>Relay status as the API shows it; <see cref="Uptime"/> is as of the last heartbeat (null from relays that do not report it).</summary>
internal sealed record RelayStatusView(string SiteId, bool Online, DateTimeOffset LastHeartbeat, string Version, string InstanceId, DateTimeOffset StartedAt, TimeSpan? Uptime, IReadOnlyList<string> HostIds, int CommandsInFlight)
{
    public static RelayStatusView From(RelayStatus relay, bool online) =>
        new(relay.SiteId, online, relay.LastHeartbeat, relay.Version, relay.InstanceId, relay.StartedAt, relay.Uptime, relay.HostIds, relay.CommandsInFlight);
}

/// <summary>
/// A host's circuit breaker on its relay: <see cref="State"/> <c>closed</c> (commands reach the host), <c>open</c>
/// (repeated failures to reach it: commands fail at once with HostUnreachable until <see cref="RetryAt"/>, when a
/// probe may go through) or <c>half-open</c> (a probe is on its way); as of the relay's last heartbeat (<see cref="ReportedAt"/>).
/// </summary>
internal sealed record HostCircuitView(string State, DateTimeOffset Since, int ConsecutiveFailures, string? LastError, DateTimeOffset? LastErrorAt, DateTimeOffset? RetryAt, DateTimeOffset ReportedAt)
{
    public static HostCircuitView From(HostCircuit circuit, DateTimeOffset reportedAt) =>
        new(circuit.State, circuit.Since, circuit.ConsecutiveFailures, circuit.LastError, circuit.LastErrorAt, circuit.RetryAt, reportedAt);
}

/// <summary>An emulator as the API shows it; <see cref="Id"/> is "{siteId}/{hostId}/{index}".</summary>
internal sealed record EmulatorView(string Id, string SiteId, string HostId, int Index, string Title, string State, int PlayerPid, int VmPid, int? Width, int? Height, int? Dpi, DateTimeOffset ObservedAt, IReadOnlyDictionary<string, string> Labels)
{
    public static EmulatorView From(EmulatorRecord e) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{e.SiteId}/{e.HostId}/{e.Index}"), e.SiteId, e.HostId, e.Index, e.Title, e.State, e.PlayerPid, e.VmPid, e.Width, e.Height, e.Dpi, e.ObservedAt, e.Labels);
}

/// <summary>LDPlayer emulator indexes: small non-negative integers (1000 has been seen; allow headroom).</summary>
internal static class EmulatorIndex
{
    public const int Max = 99_999;

    public static string? Validate(string index, out int parsed) =>
        int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out parsed) && parsed <= Max
            ? null
            : $"An emulator index is a whole number from 0 to {Max}.";
}

internal static class InventoryEndpoints
{
    private static readonly string[] States = ["stopped", "starting", "running"];

    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder endpoints)
    {
        var reads = endpoints.MapGroup("/api").RequireAuthorization(FleetPolicies.Read);
        reads.MapGet("/sites/{siteId}/relay", GetRelayAsync).WithName("GetRelayStatus")
            .WithTags(ApiTags.Sites)
            .WithSummary("Get a site's relay status")
            .WithDescription("The site relay's last heartbeat (version, instance, uptime, hosts, commands in flight) and whether it is online.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        reads.MapGet("/emulators", (string? siteId, string? hostId, string? state, [FromQuery(Name = "label")] string[]? labels, string? name, string? pageSize, string? continuationToken, InventoryStore store, CancellationToken ct) =>
                ListAsync(siteId, hostId, state, labels, name, pageSize, continuationToken, store, ct))
            .WithName("ListAllEmulators")
            .WithTags(ApiTags.Emulators)
            .WithSummary("List emulators across sites")
            .WithDescription("Emulators across sites, filtered by site, host, state (stopped, starting, running), labels (label=key=value, repeatable) and name pattern (* and ?), a page at a time.")
            .ProducesValidationProblem();
        reads.MapGet("/sites/{siteId}/emulators", (string siteId, string? hostId, string? state, [FromQuery(Name = "label")] string[]? labels, string? name, string? pageSize, string? continuationToken, InventoryStore store, CancellationToken ct) =>
                ListAsync(siteId, hostId, state, labels, name, pageSize, continuationToken, store, ct))
            .WithName("ListEmulators")
            .WithTags(ApiTags.Emulators)
            .WithSummary("List a site's emulators")
            .WithDescription("The emulators of one site as its relay last listed them, with the same filters as the fleet-wide listing.")
            .ProducesValidationProblem();
        reads.MapGet("/sites/{siteId}/hosts/{hostId}/emulators/{index}", GetAsync).WithName("GetEmulator")
            .WithTags(ApiTags.Emulators)
            .WithSummary("Get an emulator")
            .WithDescription("One emulator as the relay last listed it: title, state, process ids, resolution and labels.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        endpoints.MapPut("/api/sites/{siteId}/hosts/{hostId}/emulators/{index}/labels", SetLabelsAsync)
            .WithName("SetEmulatorLabels")
            .WithTags(ApiTags.Emulators)
            .WithSummary("Replace an emulator's labels")
            .WithDescription("Replaces the emulator's labels with the JSON object of key to value in the body. Labels survive inventory reports.")
            .WithRequestBody<Dictionary<string, string>>()
            .RequireAuthorization(FleetPolicies.Operate)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static async Task<Results<Ok<RelayStatusView>, ProblemHttpResult>> GetRelayAsync(
        string siteId, InventoryStore store, TimeProvider time, IOptions<RelaysOptions> options, CancellationToken cancellationToken)
    {
        if (FleetIds.ValidateSiteId(siteId) is { } error)
        {
            return Problems.Validation("siteId", error);
        }

        var relay = await store.GetRelayAsync(siteId, cancellationToken);
        if (relay is null)
        {
            return Problems.NotFound("No relay has reported", $"No relay of site '{siteId}' has sent a heartbeat yet.");
        }

        return TypedResults.Ok(RelayStatusView.From(relay, time.GetUtcNow() - relay.LastHeartbeat <= options.Value.OfflineAfter));
    }

    private static async Task<Results<PagedResult<EmulatorView>, ProblemHttpResult>> ListAsync(
        string? siteId, string? hostId, string? state, string[]? labels, string? name, string? pageSize, string? continuationToken, InventoryStore store, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (siteId is not null)
        {
            errors.Check("siteId", FleetIds.ValidateSiteId(siteId));
        }

        if (hostId is not null)
        {
            errors.Check("hostId", FleetIds.ValidateHostId(hostId));
        }

        if (state is not null && !States.Contains(state))
        {
            errors.Add("state", "state is one of stopped, starting, running.");
        }

        var selectors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var label in labels ?? [])
        {
            if (Labels.ParseSelector(label, out var labelError) is { } selector)
            {
                selectors[selector.Key] = selector.Value;
            }
            else
            {
                errors.Add("label", labelError!);
            }
        }

        var pattern = NamePattern.Parse(name, out var nameError);
        errors.Check("name", nameError);
        var page = PageRequest.Parse(pageSize, continuationToken, InventoryStore.PagingScope, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var query = new EmulatorQuery { SiteId = siteId, HostId = hostId, State = state, Labels = selectors, Name = pattern };
        var result = await store.QueryPageAsync(query, page, cancellationToken);
        return new PagedResult<EmulatorView>(new ListPage<EmulatorView>(result.Items.Select(EmulatorView.From).ToList(), result.Next));
    }

    private static async Task<Results<Ok<EmulatorView>, ProblemHttpResult>> GetAsync(
        string siteId, string hostId, string index, InventoryStore store, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors()
            .Check("siteId", FleetIds.ValidateSiteId(siteId))
            .Check("hostId", FleetIds.ValidateHostId(hostId))
            .Check("index", EmulatorIndex.Validate(index, out var parsed));
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var emulator = await store.GetEmulatorAsync(siteId, hostId, parsed, cancellationToken);
        return emulator is null ? NotFound(siteId, hostId, parsed) : TypedResults.Ok(EmulatorView.From(emulator));
    }

    private static async Task<Results<Ok<EmulatorView>, ProblemHttpResult>> SetLabelsAsync(
        string siteId, string hostId, string index, HttpRequest request, InventoryStore store, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors()
            .Check("siteId", FleetIds.ValidateSiteId(siteId))
            .Check("hostId", FleetIds.ValidateHostId(hostId))
            .Check("index", EmulatorIndex.Validate(index, out var parsed));
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (labels, problem) = await ApiJson.ReadAsync<Dictionary<string, string>>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        foreach (var (field, error) in Labels.Validate(labels!))
        {
            errors.Add(field, error);
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var updated = await store.SetLabelsAsync(siteId, hostId, parsed, labels!, cancellationToken);
        return updated is null ? NotFound(siteId, hostId, parsed) : TypedResults.Ok(EmulatorView.From(updated));
    }

    private static ProblemHttpResult NotFound(string siteId, string hostId, int index) =>
        Problems.NotFound("Emulator not found", $"Site '{siteId}' host '{hostId}' has no emulator {index} in the inventory.");
}
