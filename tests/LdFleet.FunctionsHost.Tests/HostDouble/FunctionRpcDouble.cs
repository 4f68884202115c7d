using System.Threading.Channels;
using Grpc.Core;
using LdFleet.FunctionsHost.Tests.Rpc;

namespace LdFleet.FunctionsHost.Tests.HostDouble;

/// <summary>
/// The host's end of <c>FunctionRpc.EventStream</c>. The worker dials in and opens the stream with
/// <see cref="StartStream"/>; from then on the test drives it through the <see cref="WorkerChannel"/> it is handed.
/// </summary>
internal sealed class FunctionRpcDouble(FunctionRpcDouble.Workers workers) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.ContentCase != StreamingMessage.ContentOneofCase.StartStream)
        {
            throw new Grpc.Core.RpcException(new Status(StatusCode.FailedPrecondition, "A worker must open the stream with StartStream."));
        }

        var channel = new WorkerChannel(requestStream.Current.StartStream);
        workers.Connected.Writer.TryWrite(channel);

        var writer = Task.Run(async () =>
        {
            await foreach (var message in channel.Outbound.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(message, context.CancellationToken);
            }
        });
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                channel.Received(requestStream.Current);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException || (ex is Grpc.Core.RpcException rpc && rpc.StatusCode == StatusCode.Cancelled))
        {
            // The worker went away (killed at the end of a test).
        }
        finally
        {
            channel.Close();
        }

        try
        {
            await writer;
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Workers as they connect, in order.</summary>
    internal sealed class Workers
    {
        public Channel<WorkerChannel> Connected { get; } = Channel.CreateUnbounded<WorkerChannel>();
    }
}
