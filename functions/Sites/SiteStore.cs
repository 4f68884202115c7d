using Azure;
using Azure.Data.Tables;
using LdFleet.Functions.Api;
using LdFleet.Functions.Storage;

namespace LdFleet.Functions.Sites;

/// <summary>A registered site.</summary>
internal sealed record Site(string Id, string DisplayName, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? CredentialsIssuedAt, DateTimeOffset? CredentialsExpireAt);

/// <summary>How a relay reaches an LDPlayer host.</summary>
internal enum HostKind
{
    /// <summary>ldconsole runs on the relay's own machine.</summary>
    Local,

    /// <summary>Another Windows PC of the LAN, over OpenSSH.</summary>
    Ssh,
}

/// <summary>A registered LDPlayer host of a site.</summary>
internal sealed record FleetHost(string SiteId, string Id, string? Address, HostKind Kind, int Capacity, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// Sites and hosts in one table: sites share partition "sites" (few rows, listed together), each site's hosts
/// have a partition of their own.
/// </summary>
internal sealed class SiteStore
{
    public const string PagingScope = "sites";
    private const string SitesPartition = "sites";

    private readonly TableClient _table;

    public SiteStore(TableServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(FleetTables.Sites);
    }

    /// <summary>Adds a site; false if one with that id exists.</summary>
    public async Task<bool> AddAsync(Site site, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        try
        {
            await _table.AddEntityAsync(ToEntity(site), cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<Site?> GetAsync(string siteId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(SitesPartition, siteId, cancellationToken: cancellationToken);
        return response.HasValue ? ToSite(response.Value!) : null;
    }

    public Task UpdateAsync(Site site, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(ToEntity(site), TableUpdateMode.Replace, cancellationToken);

    public async Task<ListPage<Site>> ListAsync(PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {SitesPartition}");
        if (page.After is { } after)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {after.RowKey}");
        }

        var items = new List<Site>();
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(page.PageSize + 1, 1000), cancellationToken: cancellationToken))
        {
            if (items.Count == page.PageSize)
            {
                return new ListPage<Site>(items, new ContinuationToken(PagingScope, SitesPartition, items[^1].Id));
            }

            items.Add(ToSite(e));
        }

        return new ListPage<Site>(items, null);
    }

    /// <summary>Deletes the site and its hosts; false if it did not exist.</summary>
    public async Task<bool> DeleteAsync(string siteId, CancellationToken cancellationToken)
    {
        await foreach (var host in ListHostsAsync(siteId, cancellationToken))
        {
            await DeleteHostAsync(siteId, host.Id, cancellationToken);
        }

        var response = await _table.DeleteEntityAsync(SitesPartition, siteId, ETag.All, cancellationToken);
        return response.Status != 404;
    }

    /// <summary>Adds or replaces a host; true when it was new.</summary>
    public async Task<bool> PutHostAsync(FleetHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var entity = new TableEntity(HostsPartition(host.SiteId), host.Id)
        {
            ["Address"] = host.Address,
            ["Kind"] = host.Kind.ToString(),
            ["Capacity"] = host.Capacity,
            ["CreatedAt"] = host.CreatedAt,
            ["UpdatedAt"] = host.UpdatedAt,
        };
        try
        {
            await _table.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = await GetHostAsync(host.SiteId, host.Id, cancellationToken);
            entity["CreatedAt"] = existing?.CreatedAt ?? host.CreatedAt;
            await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
            return false;
        }
    }

    public async Task<FleetHost?> GetHostAsync(string siteId, string hostId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(HostsPartition(siteId), hostId, cancellationToken: cancellationToken);
        return response.HasValue ? ToHost(siteId, response.Value!) : null;
    }

    public async IAsyncEnumerable<FleetHost> ListHostsAsync(string siteId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {HostsPartition(siteId)}"), cancellationToken: cancellationToken))
        {
            yield return ToHost(siteId, e);
        }
    }

    public async Task<bool> DeleteHostAsync(string siteId, string hostId, CancellationToken cancellationToken)
    {
        // The client reports a missing entity as a 404 response rather than an exception.
        var response = await _table.DeleteEntityAsync(HostsPartition(siteId), hostId, ETag.All, cancellationToken);
        return response.Status != 404;
    }

    private static string HostsPartition(string siteId) => "hosts-" + siteId;

    private static TableEntity ToEntity(Site site) => new(SitesPartition, site.Id)
    {
        ["DisplayName"] = site.DisplayName,
        ["CreatedAt"] = site.CreatedAt,
        ["CreatedBy"] = site.CreatedBy,
        ["CredentialsIssuedAt"] = site.CredentialsIssuedAt,
        ["CredentialsExpireAt"] = site.CredentialsExpireAt,
    };

    private static Site ToSite(TableEntity e) => new(
        e.RowKey,
        e.GetString("DisplayName") ?? e.RowKey,
        e.GetDateTimeOffset("CreatedAt") ?? default,
        e.GetString("CreatedBy") ?? "",
        e.GetDateTimeOffset("CredentialsIssuedAt"),
        e.GetDateTimeOffset("CredentialsExpireAt"));

    private static FleetHost ToHost(string siteId, TableEntity e) => new(
        siteId,
        e.RowKey,
        e.GetString("Address"),
        Enum.TryParse<HostKind>(e.GetString("Kind"), out var kind) ? kind : HostKind.Local,
        e.GetInt32("Capacity") ?? 1,
        e.GetDateTimeOffset("CreatedAt") ?? default,
        e.GetDateTimeOffset("UpdatedAt") ?? default);
}
