using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace LdFleet.Functions.Hosting.Functions;

/// <summary>
/// The HTTP functions: one per endpoint of the app, with the endpoint's route and method. Each hands its request to
/// <see cref="FunctionsApi"/>, which runs the app's own pipeline and endpoint on it, so a function's body is the same
/// code that serves the route self-hosted. The <c>[DurableClient]</c> binding gives the endpoint its task hub client
/// (and makes the publish output load the host's Durable extension). Anonymous at the host's level: the app's own
/// authentication and roles apply in the pipeline.
/// </summary>
internal sealed class ApiFunctions(FunctionsApi api)
{
    // Health
    [Function("Live")]
    public IResult Live([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/live")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("Live", client);

    [Function("Ready")]
    public IResult Ready([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/ready")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("Ready", client);

    // Docs
    [Function("OpenApiDocument")]
    public IResult OpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/{documentName}.json")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("OpenApiDocument", client);

    [Function("ApiReference")]
    public IResult ApiReference([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs/{documentName?}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ApiReference", client);

    [Function("ApiReferenceScript")]
    public IResult ApiReferenceScript([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs/scalar.js")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ApiReferenceScript", client);

    [Function("ApiReferenceAspNetCoreScript")]
    public IResult ApiReferenceAspNetCoreScript([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs/scalar.aspnetcore.js")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ApiReferenceAspNetCoreScript", client);

    [Function("ApiReferenceIcon")]
    public IResult ApiReferenceIcon([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs/favicon.svg")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ApiReferenceIcon", client);

    // Dashboard
    [Function("DashboardRoot")]
    public IResult DashboardRoot([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("DashboardRoot", client);

    [Function("DashboardConfig")]
    public IResult DashboardConfig([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/config.json")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("DashboardConfig", client);

    [Function("DashboardAsset")]
    public IResult DashboardAsset([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{**path}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("DashboardAsset", client);

    // Diagnostics
    [Function("StorageRequests")]
    public IResult StorageRequests([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "diagnostics/storage-requests")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("StorageRequests", client);

    // Sites
    [Function("ListSites")]
    public IResult ListSites([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sites")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ListSites", client);

    [Function("RegisterSite")]
    public IResult RegisterSite([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/sites")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("RegisterSite", client);

    [Function("GetSite")]
    public IResult GetSite([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sites/{siteId}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("GetSite", client);

    [Function("DeleteSite")]
    public IResult DeleteSite([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/sites/{siteId}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("DeleteSite", client);

    [Function("IssueRelayCredentials")]
    public IResult IssueRelayCredentials([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/sites/{siteId}/relay-credentials")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("IssueRelayCredentials", client);

    [Function("GetRelayStatus")]
    public IResult GetRelayStatus([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sites/{siteId}/relay")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("GetRelayStatus", client);

    // Hosts
    [Function("ListHosts")]
    public IResult ListHosts([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sites/{siteId}/hosts")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ListHosts", client);

    [Function("GetHost")]
    public IResult GetHost([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sites/{siteId}/hosts/{hostId}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("GetHost", client);

    [Function("PutHost")]
    public IResult PutHost([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/sites/{siteId}/hosts/{hostId}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("PutHost", client);

    [Function("DeleteHost")]
    public IResult DeleteHost([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/sites/{siteId}/hosts/{hostId}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("DeleteHost", client);

    // Emulators
    [Function("ListAllEmulators")]
    public IResult ListAllEmulators([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/emulators")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ListAllEmulators", client);

    [Function("ListEmulators")]
    public IResult ListEmulators([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sites/{siteId}/emulators")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ListEmulators", client);

    [Function("GetEmulator")]
    public IResult GetEmulator([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sites/{siteId}/hosts/{hostId}/emulators/{index}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("GetEmulator", client);

    [Function("SetEmulatorLabels")]
    public IResult SetEmulatorLabels([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/sites/{siteId}/hosts/{hostId}/emulators/{index}/labels")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("SetEmulatorLabels", client);

    // Operations
    [Function("StartEmulatorWorkflow")]
    public IResult StartEmulatorWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/sites/{siteId}/hosts/{hostId}/emulators/{index}/{workflow}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("StartEmulatorWorkflow", client);

    [Function("StartOperation")]
    public IResult StartOperation([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/operations")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("StartOperation", client);

    [Function("ListOperations")]
    public IResult ListOperations([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/operations")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ListOperations", client);

    [Function("TestHostConnection")]
    public IResult TestHostConnection([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/sites/{siteId}/hosts/{hostId}/test-connection")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("TestHostConnection", client);

    [Function("GetOperation")]
    public IResult GetOperation([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/operations/{operationId}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("GetOperation", client);

    [Function("CancelOperation")]
    public IResult CancelOperation([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/operations/{operationId}/cancel")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("CancelOperation", client);

    // Batches
    [Function("StartBatch")]
    public IResult StartBatch([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/batches")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("StartBatch", client);

    [Function("GetBatch")]
    public IResult GetBatch([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/batches/{batchId}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("GetBatch", client);

    [Function("ListBatchItems")]
    public IResult ListBatchItems([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/batches/{batchId}/items")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ListBatchItems", client);

    [Function("CancelBatch")]
    public IResult CancelBatch([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/batches/{batchId}/cancel")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("CancelBatch", client);

    // Apps
    [Function("UploadApp")]
    public IResult UploadApp([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/apps")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("UploadApp", client);

    [Function("ListApps")]
    public IResult ListApps([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/apps")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ListApps", client);

    [Function("GetApp")]
    public IResult GetApp([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/apps/{sha256}")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("GetApp", client);

    // Audit
    [Function("ListAudit")]
    public IResult ListAudit([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/audit")] HttpRequest request, [DurableClient] DurableTaskClient client) => api.Handle("ListAudit", client);
}
