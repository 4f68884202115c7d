using DurableTask.Core;
using Grpc.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P = Microsoft.DurableTask.Protobuf;

namespace LdFleet.FunctionsHost.Tests.HostDouble;

/// <summary>
/// The task hub's gRPC endpoint the host's Durable extension serves to <c>[DurableClient]</c> bindings: Durable Task's
/// sidecar over the Azure Storage backend, with one correction. The sidecar (InProcessTestHost 0.2.3-preview.1)
/// fails a purge by filter without a start time (a NullReferenceException); the extension the app ships
/// (WebJobs.Extensions.DurableTask 3.19.0, read by decompiling it) purges from <see cref="DateTime.MinValue"/> then,
/// and so does this endpoint.
/// </summary>
internal sealed class DurableEndpoint : TaskHubGrpcServer
{
    private readonly IOrchestrationServiceClient _client;

    public DurableEndpoint(IHostApplicationLifetime lifetime, ILoggerFactory loggerFactory, IOrchestrationService service, IOrchestrationServiceClient client, IOptions<TaskHubGrpcServerOptions> options)
        : base(lifetime, loggerFactory, service, client, options) => _client = client;

    public override async Task<P.PurgeInstancesResponse> PurgeInstances(P.PurgeInstancesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestCase != P.PurgeInstancesRequest.RequestOneofCase.PurgeInstanceFilter || _client is not IOrchestrationServicePurgeClient purge)
        {
            return await base.PurgeInstances(request, context);
        }

        var filter = request.PurgeInstanceFilter;
        var result = await purge.PurgeInstanceStateAsync(new PurgeInstanceFilter(
            filter.CreatedTimeFrom?.ToDateTime() ?? DateTime.MinValue,
            filter.CreatedTimeTo?.ToDateTime(),
            filter.RuntimeStatus.Count > 0 ? [.. filter.RuntimeStatus.Select(s => (OrchestrationStatus)s)] : null));
        return new P.PurgeInstancesResponse { DeletedInstanceCount = result.DeletedInstanceCount };
    }
}
