using System.Collections.Concurrent;
using Amqp;
using Amqp.Framing;

namespace LdFleet.Protocol.Transport.Amqp;

/// <summary>Attaching links and waiting until the peer answered, so refusals surface as exceptions right away.</summary>
internal static class AmqpLinks
{
    public static Task<SenderLink> AttachSenderAsync(Session session, string name, string address, TimeSpan timeout, CancellationToken cancellationToken) =>
        AttachAsync(callback => new SenderLink(session, name, new Target { Address = address }, callback), isSender: true, timeout, cancellationToken);

    public static Task<ReceiverLink> AttachReceiverAsync(Session session, string name, Source source, Target target, TimeSpan timeout, CancellationToken cancellationToken) =>
        AttachAsync(callback => new ReceiverLink(session, name, new Attach { Source = source, Target = target }, callback), isSender: false, timeout, cancellationToken);

    /// <summary>True for conditions after which re-creating the link or connection and trying again can succeed (reference A.6, "Back-off").</summary>
    public static bool IsTransient(Error? error) =>
        error?.Condition?.ToString() is AmqpConditions.ServerBusy or AmqpConditions.Timeout or ErrorCode.ConnectionForced or ErrorCode.DetachForced or ErrorCode.ResourceLimitExceeded;

    public static string Describe(Error? error) => error is null ? "closed" : $"{error.Condition}: {error.Description}";

    private static async Task<TLink> AttachAsync<TLink>(Func<OnAttached, TLink> create, bool isSender, TimeSpan timeout, CancellationToken cancellationToken)
        where TLink : Link
    {
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A peer that refuses a link answers with an attach whose terminus is null and then detaches with the
        // reason, so only a non-null terminus counts as success; the detach fails the wait.
        var link = create((_, attach) =>
        {
            if ((isSender ? attach.Target : attach.Source) is not null)
            {
                attached.TrySetResult();
            }
        });
        link.Closed += (_, error) => attached.TrySetException(new AmqpException(error ?? new Error(ErrorCode.DetachForced) { Description = "The link closed while attaching." }));
        if (link.IsClosed)
        {
            attached.TrySetException(new AmqpException(link.Error ?? new Error(ErrorCode.DetachForced)));
        }

        try
        {
            await attached.Task.WaitAsync(timeout, cancellationToken);
            return link;
        }
        catch
        {
            _ = link.CloseAsync(TimeSpan.Zero, null).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            throw;
        }
    }
}

/// <summary>AMQP error conditions Service Bus uses beyond the standard ones (reference A.4, A.6; SDK AmqpClientConstants).</summary>
internal static class AmqpConditions
{
    public const string ServerBusy = "com.microsoft:server-busy";
    public const string Timeout = "com.microsoft:timeout";
    public const string DeadLetter = "com.microsoft:dead-letter";
    public const string MessageLockLost = "com.microsoft:message-lock-lost";
}

/// <summary>
/// A sender/receiver pair on one node for request/response operations: <c>$cbs</c> put-token and
/// <c>&lt;entity&gt;/$management</c> (reference A.2 "CBS request/response shape", A.4 "Renew lock").
/// </summary>
internal sealed class AmqpRequestResponseLink
{
    private readonly SenderLink _sender;
    private readonly ReceiverLink _receiver;
    private readonly string _replyTo;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Message>> _pending = new(StringComparer.Ordinal);

    private AmqpRequestResponseLink(SenderLink sender, ReceiverLink receiver, string replyTo)
    {
        _sender = sender;
        _receiver = receiver;
        _replyTo = replyTo;
        _receiver.Closed += (_, error) =>
        {
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(new AmqpException(error ?? new Error(ErrorCode.DetachForced)));
            }
        };
    }

    public bool IsClosed => _sender.IsClosed || _receiver.IsClosed || _sender.Session.IsClosed;

    public static async Task<AmqpRequestResponseLink> OpenAsync(Session session, string address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        var replyTo = $"ldfleet-reply-{id}";
        var sender = await AmqpLinks.AttachSenderAsync(session, $"{address}-requests-{id}", address, timeout, cancellationToken);
        try
        {
            var receiver = await AmqpLinks.AttachReceiverAsync(session, $"{address}-replies-{id}", new Source { Address = address }, new Target { Address = replyTo }, timeout, cancellationToken);
            var link = new AmqpRequestResponseLink(sender, receiver, replyTo);
            receiver.Start(16, link.OnResponse);
            return link;
        }
        catch
        {
            _ = sender.CloseAsync(TimeSpan.Zero, null).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            throw;
        }
    }

    public async Task<Message> RequestAsync(Message request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        request.Properties ??= new Properties();
        request.Properties.MessageId = id;
        request.Properties.ReplyTo = _replyTo;
        var response = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = response;
        try
        {
            await _sender.SendAsync(request, timeout).WaitAsync(cancellationToken);
            return await response.Task.WaitAsync(timeout, cancellationToken);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public Task CloseAsync() => Task.WhenAll(_sender.CloseAsync(TimeSpan.Zero, null), _receiver.CloseAsync(TimeSpan.Zero, null));

    private void OnResponse(IReceiverLink link, Message message)
    {
        link.Accept(message);
        var correlationId = message.Properties?.CorrelationId?.ToString();
        if (correlationId is not null && _pending.TryRemove(correlationId, out var pending))
        {
            pending.TrySetResult(message);
        }
    }
}
