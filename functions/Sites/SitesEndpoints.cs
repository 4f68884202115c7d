using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Inventory;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Sites;

internal sealed record RegisterSiteRequest(string Id, string? DisplayName = null);

internal sealed record PutHostRequest(HostKind Kind, int Capacity, string? Address = null);

internal sealed record SiteView(string Id, string DisplayName, DateTimeOffset CreatedAt, string CreatedBy, string Status, RelayStatusView? Relay, DateTimeOffset? CredentialsExpireAt);

internal sealed record SiteRegistrationView(SiteView Site, RelayCredentials RelayCredentials);

/// <summary>
/// A host as the API shows it: what was registered (address, kind, capacity) merged with what the relay
/// reported (status, circuit). <see cref="Status"/>: <c>ok</c> (listed at its last inventory), <c>unreachable</c>
/// (the last inventory of it failed, or its circuit is open), <c>offline</c> (the relay is offline), <c>unknown</c>
/// (never reported). <see cref="Circuit"/> is null when the relay reports no circuit for it.
/// </summary>
internal sealed record HostView(string SiteId, string Id, bool Registered, string? Address, HostKind? Kind, int? Capacity, string Status, DateTimeOffset? LastInventoryAt, int EmulatorCount, string? LastError, HostCircuitView? Circuit);

internal static class SitesEndpoints
{
    public static IEndpointRouteBuilder MapSitesApi(this IEndpointRouteBuilder endpoints)
    {
        var sites = endpoints.MapGroup("/api/sites");
        sites.MapPost("", RegisterAsync).WithName("RegisterSite").RequireAuthorization(FleetPolicies.Admin)
            .WithRequestBody<RegisterSiteRequest>()
            .WithTags(ApiTags.Sites)
            .WithSummary("Register a site")
            .WithDescription("Registers a site and returns its relay's credentials, which are shown only in this answer (POST .../relay-credentials issues new ones).")
            .ProducesProblem(StatusCodes.Status409Conflict);
        sites.MapGet("", ListAsync).WithName("ListSites").RequireAuthorization(FleetPolicies.Read)
            .WithTags(ApiTags.Sites)
            .WithSummary("List sites")
            .WithDescription("The registered sites with their relay's status (online, offline or never-seen), a page at a time.")
            .ProducesValidationProblem();
        sites.MapGet("/{siteId}", GetAsync).WithName("GetSite").RequireAuthorization(FleetPolicies.Read)
            .WithTags(ApiTags.Sites)
            .WithSummary("Get a site")
            .WithDescription("The site with its relay's status and when its relay credentials expire.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        sites.MapDelete("/{siteId}", DeleteAsync).WithName("DeleteSite").RequireAuthorization(FleetPolicies.Admin)
            .WithTags(ApiTags.Sites)
            .WithSummary("Unregister a site")
            .WithDescription("Unregisters the site: its hosts, inventory and relay status go, and its relay credentials are revoked.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        sites.MapPost("/{siteId}/relay-credentials", IssueCredentialsAsync).WithName("IssueRelayCredentials").RequireAuthorization(FleetPolicies.Admin)
            .WithTags(ApiTags.Sites)
            .WithSummary("Issue relay credentials")
            .WithDescription("Issues new relay credentials for the site, revoking the previous revocable ones. They are shown only in this answer.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        sites.MapGet("/{siteId}/hosts", ListHostsAsync).WithName("ListHosts").RequireAuthorization(FleetPolicies.Read)
            .WithTags(ApiTags.Hosts)
            .WithSummary("List a site's hosts")
            .WithDescription("Registered and reported hosts of the site with their status (ok, unreachable, offline, unknown) and circuit; one page.")
            .ProducesValidationProblem();
        sites.MapGet("/{siteId}/hosts/{hostId}", GetHostAsync).WithName("GetHost").RequireAuthorization(FleetPolicies.Read)
            .WithTags(ApiTags.Hosts)
            .WithSummary("Get a host")
            .WithDescription("One host of the site: what was registered merged with what the relay last reported.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        sites.MapPut("/{siteId}/hosts/{hostId}", PutHostAsync).WithName("PutHost").RequireAuthorization(FleetPolicies.Admin)
            .WithRequestBody<PutHostRequest>()
            .WithTags(ApiTags.Hosts)
            .WithSummary("Register or update a host")
            .WithDescription("Registers or updates a host: address, kind (local or ssh) and capacity (emulators it may run at once). 201 when it was new, 200 when it was updated.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        sites.MapDelete("/{siteId}/hosts/{hostId}", DeleteHostAsync).WithName("DeleteHost").RequireAuthorization(FleetPolicies.Admin)
            .WithTags(ApiTags.Hosts)
            .WithSummary("Unregister a host")
            .WithDescription("Unregisters the host and forgets its inventory; the relay lists it again if it still reports it.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static async Task<Results<Created<SiteRegistrationView>, ProblemHttpResult>> RegisterAsync(
        HttpRequest request, SiteStore store, RelayCredentialsIssuer issuer, TimeProvider time, ApiLinks links, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<RegisterSiteRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors()
            .Check("id", FleetIds.ValidateSiteId(body!.Id))
            .Check("displayName", body.DisplayName is { } name && TextRules.Check(name, 200, allowDoubleQuotes: true) is { } nameProblem ? $"displayName is 1 to 200 characters of visible text; this one {nameProblem}" : null);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var now = time.GetUtcNow();
        var site = new Site(body.Id, body.DisplayName ?? body.Id, now, FleetCaller.From(request.HttpContext.User).Name, null, null);
        if (!await store.AddAsync(site, cancellationToken))
        {
            return Problems.Conflict("Site exists", $"A site with id '{body.Id}' is registered already; POST /api/sites/{body.Id}/relay-credentials issues new relay credentials.");
        }

        var credentials = await issuer.IssueAsync(site.Id, cancellationToken);
        site = site with { CredentialsIssuedAt = credentials.ExpiresAt is null ? null : now, CredentialsExpireAt = credentials.ExpiresAt };
        await store.UpdateAsync(site, cancellationToken);
        return TypedResults.Created(links.To("GetSite", new { siteId = site.Id }), new SiteRegistrationView(View(site, null, false), credentials));
    }

    private static async Task<Results<PagedResult<SiteView>, ProblemHttpResult>> ListAsync(
        string? pageSize, string? continuationToken, SiteStore store, InventoryStore inventory, RelayClock clock, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var page = PageRequest.Parse(pageSize, continuationToken, SiteStore.PagingScope, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var sites = await store.ListAsync(page, cancellationToken);
        var relays = await inventory.ListRelaysAsync(cancellationToken);
        return new PagedResult<SiteView>(new ListPage<SiteView>(
            sites.Items.Select(s => relays.TryGetValue(s.Id, out var r) ? View(s, r, clock.IsOnline(r)) : View(s, null, false)).ToList(),
            sites.Next));
    }

    private static async Task<Results<Ok<SiteView>, ProblemHttpResult>> GetAsync(string siteId, SiteStore store, InventoryStore inventory, RelayClock clock, CancellationToken cancellationToken)
    {
        if (FleetIds.ValidateSiteId(siteId) is { } error)
        {
            return Problems.Validation("siteId", error);
        }

        var site = await store.GetAsync(siteId, cancellationToken);
        if (site is null)
        {
            return SiteNotFound(siteId);
        }

        var relay = await inventory.GetRelayAsync(siteId, cancellationToken);
        return TypedResults.Ok(View(site, relay, relay is not null && clock.IsOnline(relay)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string siteId, SiteStore store, InventoryStore inventory, RelayCredentialsIssuer issuer, CancellationToken cancellationToken)
    {
        if (FleetIds.ValidateSiteId(siteId) is { } error)
        {
            return Problems.Validation("siteId", error);
        }

        if (await store.GetAsync(siteId, cancellationToken) is null)
        {
            return SiteNotFound(siteId);
        }

        // Credentials first: once the site is going, its relay must not act for it any more.
        await issuer.RevokeAsync(siteId, cancellationToken);
        await inventory.DeleteSiteAsync(siteId, cancellationToken);
        await store.DeleteAsync(siteId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<RelayCredentials>, ProblemHttpResult>> IssueCredentialsAsync(
        string siteId, SiteStore store, RelayCredentialsIssuer issuer, TimeProvider time, CancellationToken cancellationToken)
    {
        if (FleetIds.ValidateSiteId(siteId) is { } error)
        {
            return Problems.Validation("siteId", error);
        }

        var site = await store.GetAsync(siteId, cancellationToken);
        if (site is null)
        {
            return SiteNotFound(siteId);
        }

        var credentials = await issuer.IssueAsync(siteId, cancellationToken);
        await store.UpdateAsync(site with { CredentialsIssuedAt = credentials.ExpiresAt is null ? site.CredentialsIssuedAt : time.GetUtcNow(), CredentialsExpireAt = credentials.ExpiresAt ?? site.CredentialsExpireAt }, cancellationToken);
        return TypedResults.Ok(credentials);
    }

    private static async Task<Results<PagedResult<HostView>, ProblemHttpResult>> ListHostsAsync(
        string siteId, SiteStore store, InventoryStore inventory, RelayClock clock, CancellationToken cancellationToken)
    {
        if (FleetIds.ValidateSiteId(siteId) is { } error)
        {
            return Problems.Validation("siteId", error);
        }

        var hosts = await HostsAsync(siteId, store, inventory, clock, cancellationToken);

        // A site has tens of hosts, not thousands: one page, in the same shape as every listing.
        return new PagedResult<HostView>(new ListPage<HostView>(hosts, null));
    }

    private static async Task<Results<Ok<HostView>, ProblemHttpResult>> GetHostAsync(
        string siteId, string hostId, SiteStore store, InventoryStore inventory, RelayClock clock, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors().Check("siteId", FleetIds.ValidateSiteId(siteId)).Check("hostId", FleetIds.ValidateHostId(hostId));
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var host = (await HostsAsync(siteId, store, inventory, clock, cancellationToken)).FirstOrDefault(h => h.Id == hostId);
        return host is null ? Problems.NotFound("Host not found", $"Site '{siteId}' has no registered or reported host '{hostId}'.") : TypedResults.Ok(host);
    }

    private static async Task<Results<Created<HostView>, Ok<HostView>, ProblemHttpResult>> PutHostAsync(
        string siteId, string hostId, HttpRequest request, SiteStore store, InventoryStore inventory, RelayClock clock, TimeProvider time, ApiLinks links, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors().Check("siteId", FleetIds.ValidateSiteId(siteId)).Check("hostId", FleetIds.ValidateHostId(hostId));
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (body, problem) = await ApiJson.ReadAsync<PutHostRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        errors.Check("capacity", body!.Capacity is < 1 or > 1000 ? "capacity is a whole number from 1 to 1000 (emulators the host may run at once)." : null)
            .Check("kind", Enum.IsDefined(body.Kind) ? null : "kind is local or ssh.")
            .Check("address", body switch
            {
                { Kind: HostKind.Ssh, Address: null or "" } => "An ssh host needs an address (host name or IP, optionally :port).",
                { Address: { } a } when ParameterRules.HostAddress(a) is { } addressProblem => "address " + addressProblem,
                _ => null,
            });
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        if (await store.GetAsync(siteId, cancellationToken) is null)
        {
            return SiteNotFound(siteId);
        }

        var now = time.GetUtcNow();
        var created = await store.PutHostAsync(new FleetHost(siteId, hostId, body.Address, body.Kind, body.Capacity, now, now), cancellationToken);
        var view = (await HostsAsync(siteId, store, inventory, clock, cancellationToken)).First(h => h.Id == hostId);
        return created ? TypedResults.Created(links.To("GetHost", new { siteId, hostId }), view) : TypedResults.Ok(view);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteHostAsync(
        string siteId, string hostId, SiteStore store, InventoryStore inventory, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors().Check("siteId", FleetIds.ValidateSiteId(siteId)).Check("hostId", FleetIds.ValidateHostId(hostId));
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        if (!await store.DeleteHostAsync(siteId, hostId, cancellationToken))
        {
            return Problems.NotFound("Host not found", $"Site '{siteId}' has no registered host '{hostId}'.");
        }

        await inventory.DeleteHostAsync(siteId, hostId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<List<HostView>> HostsAsync(string siteId, SiteStore store, InventoryStore inventory, RelayClock clock, CancellationToken cancellationToken)
    {
        var registered = new Dictionary<string, FleetHost>(StringComparer.Ordinal);
        await foreach (var host in store.ListHostsAsync(siteId, cancellationToken))
        {
            registered[host.Id] = host;
        }

        var observed = (await inventory.ListHostObservationsAsync(siteId, cancellationToken)).ToDictionary(o => o.HostId, StringComparer.Ordinal);
        var relay = await inventory.GetRelayAsync(siteId, cancellationToken);
        var online = relay is not null && clock.IsOnline(relay);
        var circuits = (relay?.Circuits ?? []).GroupBy(c => c.HostId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        return registered.Keys.Union(observed.Keys).Union(relay?.HostIds ?? []).Order(StringComparer.Ordinal).Select(id =>
        {
            registered.TryGetValue(id, out var r);
            observed.TryGetValue(id, out var o);
            circuits.TryGetValue(id, out var c);
            var status = !online ? (relay is null && o is null ? "unknown" : "offline")
                : c is { State: not CircuitStates.Closed } ? "unreachable"
                : o?.LastError is not null && (o.ObservedAt is null || o.LastErrorAt > o.ObservedAt) ? "unreachable"
                : o?.ObservedAt is not null ? "ok"
                : "unknown";
            return new HostView(siteId, id, r is not null, r?.Address, r?.Kind, r?.Capacity, status, o?.ObservedAt, o?.EmulatorCount ?? 0, o?.LastError,
                c is null ? null : HostCircuitView.From(c, relay!.LastHeartbeat));
        }).ToList();
    }

    private static SiteView View(Site site, RelayStatus? relay, bool online) =>
        new(site.Id, site.DisplayName, site.CreatedAt, site.CreatedBy, relay is null ? "never-seen" : online ? "online" : "offline", relay is null ? null : RelayStatusView.From(relay, online), site.CredentialsExpireAt);

    private static ProblemHttpResult SiteNotFound(string siteId) => Problems.NotFound("Site not found", $"There is no registered site '{siteId}'.");
}

/// <summary>Whether a relay counts as online now (a heartbeat within <c>Relays:OfflineAfter</c>).</summary>
internal sealed class RelayClock
{
    private readonly TimeProvider _time;
    private readonly IOptions<RelaysOptions> _options;

    public RelayClock(TimeProvider time, IOptions<RelaysOptions> options)
    {
        _time = time;
        _options = options;
    }

    public bool IsOnline(RelayStatus relay)
    {
        ArgumentNullException.ThrowIfNull(relay);
        return _time.GetUtcNow() - relay.LastHeartbeat <= _options.Value.OfflineAfter;
    }
}

internal static class SitesServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddSites(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SitesOptions>()
            .BindConfiguration(SitesOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<SiteStore>();
        builder.Services.AddSingleton<RelayClock>();
        builder.Services.AddSingleton<RelayCredentialsIssuer>();
        return builder;
    }
}
