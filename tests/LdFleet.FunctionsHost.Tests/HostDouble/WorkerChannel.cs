using System.Collections.Concurrent;
using System.Threading.Channels;
using LdFleet.FunctionsHost.Tests.Rpc;

namespace LdFleet.FunctionsHost.Tests.HostDouble;

/// <summary>
/// One worker's EventStream as the host sees it: what the worker sent (logs apart), and a way to send it messages.
/// Messages are matched by content rather than order, because the worker interleaves logs and answers freely.
/// </summary>
public sealed class WorkerChannel
{
    private readonly Channel<StreamingMessage> _outbound = Channel.CreateUnbounded<StreamingMessage>();
    private readonly List<StreamingMessage> _inbound = [];
    private readonly ConcurrentQueue<RpcLog> _logs = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WorkerChannel(StartStream start) => Start = start;

    /// <summary>The worker's first message.</summary>
    public StartStream Start { get; }

    /// <summary>What the worker logged through the host (RpcLog messages).</summary>
    public IReadOnlyCollection<RpcLog> Logs => _logs;

    /// <summary>Completes when the worker's side of the stream has ended.</summary>
    public Task Closed => _closed.Task;

    internal ChannelReader<StreamingMessage> Outbound => _outbound.Reader;

    public ValueTask SendAsync(StreamingMessage message) => _outbound.Writer.WriteAsync(message);

    /// <summary>Waits for (and takes) the first message from the worker that <paramref name="match"/> accepts.</summary>
    public async Task<StreamingMessage> ReceiveAsync(Func<StreamingMessage, bool> match, TimeSpan timeout, string what)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                var index = _inbound.FindIndex(m => match(m));
                if (index >= 0)
                {
                    var message = _inbound[index];
                    _inbound.RemoveAt(index);
                    return message;
                }

                arrived = _arrived.Task;
            }

            if (_closed.Task.IsCompleted)
            {
                throw new InvalidOperationException($"The worker closed its stream before sending {what}.\n{LogTail()}");
            }

            try
            {
                await Task.WhenAny(arrived, _closed.Task).WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The worker sent no {what} within {timeout.TotalSeconds:0} s.\n{LogTail()}");
            }
        }
    }

    /// <summary>The last lines the worker logged through the host, for failure messages.</summary>
    public string LogTail(int count = 30) =>
        "--- worker logs (RpcLog) ---\n" + string.Join('\n', _logs.TakeLast(count).Select(l => $"{l.Level} {l.Category}: {l.Message} {l.Exception?.Message}"));

    internal void Received(StreamingMessage message)
    {
        if (message.ContentCase == StreamingMessage.ContentOneofCase.RpcLog)
        {
            _logs.Enqueue(message.RpcLog);
            return;
        }

        TaskCompletionSource arrived;
        lock (_gate)
        {
            _inbound.Add(message);
            arrived = _arrived;
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        arrived.TrySetResult();
    }

    internal void Close()
    {
        _outbound.Writer.TryComplete();
        _closed.TrySetResult();
    }
}
