using System.Security.Cryptography;
using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Health;
using LdFleet.Functions.Api.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Apps;

internal sealed record AppView(string Sha256, string Name, long Size, DateTimeOffset UploadedAt, string UploadedBy)
{
    public static AppView From(AppPackage app) => new(app.Sha256, app.Name, app.Size, app.UploadedAt, app.UploadedBy);
}

internal static class AppsEndpoints
{
    private const string ApkContentType = "application/vnd.android.package-archive";
    private static readonly byte[] ZipMagic = [0x50, 0x4B, 0x03, 0x04];

    public static IEndpointRouteBuilder MapAppsApi(this IEndpointRouteBuilder endpoints)
    {
        var apps = endpoints.MapGroup("/api/apps").WithTags(ApiTags.Apps);
        apps.MapPost("", UploadAsync).WithName("UploadApp").RequireAuthorization(FleetPolicies.Operate)
            .WithRequestBody<Stream>(ApkContentType)
            .WithSummary("Upload an APK")
            .WithDescription("Uploads an APK: the raw bytes as the body, ?name=file.apk. Stored once per content (201 when new, 200 when it was there); workflows refer to it by its SHA-256. At most Apps:MaxApkBytes.")
            .ProducesValidationProblem();
        apps.MapGet("", ListAsync).WithName("ListApps").RequireAuthorization(FleetPolicies.Read)
            .WithSummary("List uploaded APKs")
            .WithDescription("The uploaded APKs with their package name, version and size, a page at a time.")
            .ProducesValidationProblem();
        apps.MapGet("/{sha256}", GetAsync).WithName("GetApp").RequireAuthorization(FleetPolicies.Read)
            .WithSummary("Get an uploaded APK")
            .WithDescription("The APK with this SHA-256 (lower-case hex): package name, version, size and when it was uploaded.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static async Task<Results<Created<AppView>, Ok<AppView>, ProblemHttpResult>> UploadAsync(
        string? name, HttpRequest request, AppStore store, IOptions<AppsOptions> options, TimeProvider time, ApiLinks links, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (name is null || name.Length is 0 or > 200 || name.Any(c => char.IsControl(c) || c is '/' or '\\') || name is "." or "..")
        {
            errors.Add("name", "name is the APK's file name: 1 to 200 characters, no path separators.");
        }

        if (request.ContentType is not { } type || !(type.StartsWith(ApkContentType, StringComparison.OrdinalIgnoreCase) || type.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase)))
        {
            return Problems.Status(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType, "The body must be the APK's bytes.", $"Send Content-Type: {ApkContentType} (or application/octet-stream).");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var max = options.Value.MaxApkBytes;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = max;
        }

        if (request.ContentLength > max)
        {
            return Problems.Status(StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge, "The APK is too large.", $"At most {max} bytes (Apps:MaxApkBytes).");
        }

        // Hash while spooling to a temp file: the blob is named by the hash, known only at the end.
        await using var spool = new FileStream(Path.Combine(Path.GetTempPath(), "ldfleet-apk-" + Guid.NewGuid().ToString("N")), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long size = 0;
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                size += read;
                if (size > max)
                {
                    return Problems.Status(StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge, "The APK is too large.", $"At most {max} bytes (Apps:MaxApkBytes).");
                }

                hash.AppendData(buffer, 0, read);
                await spool.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (BadHttpRequestException ex)
        {
            return Problems.Status(ex.StatusCode, ProblemTypes.ForStatus(ex.StatusCode), "The APK could not be read.", ex.Message);
        }

        spool.Position = 0;
        var head = new byte[4];
        if (size < 22 || await spool.ReadAtLeastAsync(head, 4, throwOnEndOfStream: false, cancellationToken) < 4 || !head.AsSpan().SequenceEqual(ZipMagic))
        {
            return Problems.Validation("body", "The body is not an APK (an APK is a ZIP archive).");
        }

        spool.Position = 0;
        var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        var (app, created) = await store.AddAsync(spool, sha256, size, name!, FleetCaller.From(request.HttpContext.User).Name, time.GetUtcNow(), cancellationToken);
        return created ? TypedResults.Created(links.To("GetApp", new { sha256 }), AppView.From(app)) : TypedResults.Ok(AppView.From(app));
    }

    private static async Task<Results<PagedResult<AppView>, ProblemHttpResult>> ListAsync(string? pageSize, string? continuationToken, AppStore store, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var page = PageRequest.Parse(pageSize, continuationToken, AppStore.PagingScope, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var apps = await store.ListAsync(page, cancellationToken);
        return new PagedResult<AppView>(new ListPage<AppView>(apps.Items.Select(AppView.From).ToList(), apps.Next));
    }

    private static async Task<Results<Ok<AppView>, ProblemHttpResult>> GetAsync(string sha256, AppStore store, CancellationToken cancellationToken)
    {
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
        {
            return Problems.Validation("sha256", "An app is named by the lower-case hex SHA-256 of its bytes (64 characters).");
        }

        var app = await store.GetAsync(sha256, cancellationToken);
        return app is null ? Problems.NotFound("App not found", $"No APK with SHA-256 {sha256} was uploaded.") : TypedResults.Ok(AppView.From(app));
    }
}

/// <summary>Creates the APK container at start-up, like the tables.</summary>
internal sealed class AppsInitializer : IHostedService
{
    private readonly AppStore _store;

    public AppsInitializer(AppStore store) => _store = store;

    public Task StartAsync(CancellationToken cancellationToken) => _store.EnsureContainerAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Blob storage (where APKs live) answers.</summary>
internal sealed class BlobsHealthCheck : IHealthCheck
{
    private readonly AppStore _store;

    public BlobsHealthCheck(AppStore store) => _store = store;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        FleetHealth.ProbeAsync(ct => _store.EnsureContainerAsync(ct), "Blob storage", cancellationToken);
}

internal static class AppsServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddApps(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AppsOptions>()
            .BindConfiguration(AppsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The same account as the tables; the storage module owns how that account is reached.
        builder.Services.AddSingleton(sp => new Azure.Storage.Blobs.BlobServiceClient(sp.GetRequiredService<IOptions<Storage.StorageOptions>>().Value.ConnectionString));
        builder.Services.AddSingleton<AppStore>();
        builder.Services.AddHostedService<AppsInitializer>();
        builder.Services.AddHealthChecks().AddCheck<BlobsHealthCheck>("blobs", tags: [FleetHealth.ReadyTag]);
        return builder;
    }
}
