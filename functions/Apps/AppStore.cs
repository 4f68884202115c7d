using System.ComponentModel.DataAnnotations;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using LdFleet.Functions.Api;
using LdFleet.Functions.Storage;

namespace LdFleet.Functions.Apps;

internal sealed class AppsOptions
{
    public const string SectionName = "Apps";

    /// <summary>Largest APK accepted. Under the Functions host, HTTP requests are also capped by the platform (100 MB).</summary>
    [Range(1024, 4L * 1024 * 1024 * 1024, ErrorMessage = "Apps:MaxApkBytes must be between 1 KiB and 4 GiB.")]
    public long MaxApkBytes { get; set; } = 256L * 1024 * 1024;

    [Required(ErrorMessage = "Apps:Container must not be empty.")]
    public string Container { get; set; } = "apks";
}

/// <summary>An uploaded APK. Workflows name it by <see cref="Sha256"/>, so the same bytes are one app however often uploaded.</summary>
internal sealed record AppPackage(string Sha256, string Name, long Size, DateTimeOffset UploadedAt, string UploadedBy, string BlobName);

/// <summary>APK bytes in a blob container (blob name = content hash), their metadata in the apps table.</summary>
internal sealed class AppStore
{
    public const string PagingScope = "apps";
    private const string Partition = "apk";

    private readonly BlobContainerClient _container;
    private readonly TableClient _table;

    public AppStore(BlobServiceClient blobs, TableServiceClient tables, Microsoft.Extensions.Options.IOptions<AppsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(options);
        _container = blobs.GetBlobContainerClient(options.Value.Container);
        _table = tables.GetTableClient(FleetTables.Apps);
    }

    public static string BlobNameFor(string sha256) => sha256 + ".apk";

    public Task EnsureContainerAsync(CancellationToken cancellationToken) => _container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);

    /// <summary>Stores the bytes under their hash (once) and records the app; returns it and whether it was new.</summary>
    public async Task<(AppPackage App, bool Created)> AddAsync(Stream content, string sha256, long size, string name, string uploadedBy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var existing = await GetAsync(sha256, cancellationToken);
        if (existing is not null)
        {
            return (existing, false);
        }

        var blobName = BlobNameFor(sha256);
        try
        {
            await _container.GetBlobClient(blobName).UploadAsync(content, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // Same bytes uploaded concurrently: the content is the same by definition.
        }

        var app = new AppPackage(sha256, name, size, now, uploadedBy, blobName);
        try
        {
            await _table.AddEntityAsync(new TableEntity(Partition, sha256)
            {
                ["Name"] = name,
                ["Size"] = size,
                ["UploadedAt"] = now,
                ["UploadedBy"] = uploadedBy,
                ["BlobName"] = blobName,
            }, cancellationToken);
            return (app, true);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return ((await GetAsync(sha256, cancellationToken))!, false);
        }
    }

    public async Task<AppPackage?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, sha256, cancellationToken: cancellationToken);
        return response.HasValue ? ToApp(response.Value!) : null;
    }

    /// <summary>The APK's bytes, for a workflow that installs it.</summary>
    public BlobClient Blob(AppPackage app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return _container.GetBlobClient(app.BlobName);
    }

    public async Task<ListPage<AppPackage>> ListAsync(PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        if (page.After is { } after)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {after.RowKey}");
        }

        var items = new List<AppPackage>();
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(page.PageSize + 1, 1000), cancellationToken: cancellationToken))
        {
            if (items.Count == page.PageSize)
            {
                return new ListPage<AppPackage>(items, new ContinuationToken(PagingScope, Partition, items[^1].Sha256));
            }

            items.Add(ToApp(e));
        }

        return new ListPage<AppPackage>(items, null);
    }

    private static AppPackage ToApp(TableEntity e) => new(
        e.RowKey,
        e.GetString("Name") ?? "",
        e.GetInt64("Size") ?? 0,
        e.GetDateTimeOffset("UploadedAt") ?? default,
        e.GetString("UploadedBy") ?? "",
        e.GetString("BlobName") ?? BlobNameFor(e.RowKey));
}
