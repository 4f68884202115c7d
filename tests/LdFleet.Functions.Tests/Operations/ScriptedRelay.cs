using System.Collections.Concurrent;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Transport;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>How the scripted relay answers one command: a result, optionally after a start report.</summary>
/// <param name="Answer">False: only the start report is sent (the command then "runs" until the test answers it).</param>
internal sealed record Reply(CommandOutcome Outcome = CommandOutcome.Succeeded, string? ErrorCode = null, IReadOnlyDictionary<string, string>? Data = null, bool ReportStart = false, string SiteId = "", bool Answer = true)
{
    public static Reply StartOnly { get; } = new(ReportStart: true, Answer: false);

    public static Reply Succeeded(IReadOnlyDictionary<string, string>? data = null) => new(Data: data);

    public static Reply Failed(string errorCode) => new(CommandOutcome.Failed, errorCode);
}

/// <summary>
/// A relay for one site that answers from a script instead of running ldconsole: it takes commands from the site's
/// real queue and puts results on the real results queue, so everything in the cloud app runs as in production. A
/// script returning null leaves the command unanswered (a relay that died with it).
/// </summary>
internal sealed class ScriptedRelay : IAsyncDisposable
{
    private readonly IMessageQueueFactory _queues;
    private readonly string _siteId;
    private readonly Func<EmulatorCommand, Reply?> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ScriptedRelay(IMessageQueueFactory queues, string siteId, Func<EmulatorCommand, Reply?> script)
    {
        _queues = queues;
        _siteId = siteId;
        _script = script;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Every command received, in order (redeliveries included).</summary>
    public ConcurrentQueue<EmulatorCommand> Received { get; } = new();

    /// <summary>The actions of the commands received, without cancels.</summary>
    public IReadOnlyList<string> Actions => [.. Received.Where(c => c.Action != EmulatorActions.Cancel).Select(c => c.Action)];

    /// <summary>The data a real relay reports for a succeeded command (the index of a created emulator, the state it saw).</summary>
    public static Reply Succeed(EmulatorCommand command) => Reply.Succeeded(command.Action switch
    {
        EmulatorActions.Add or EmulatorActions.Copy => new Dictionary<string, string> { ["index"] = "7", ["title"] = "LDPlayer-7" },
        EmulatorActions.Status => new Dictionary<string, string> { ["state"] = "running" },
        _ => null,
    });

    /// <summary>Sends a result for <paramref name="command"/> as a relay would (used to replay late or foreign answers).</summary>
    public Task AnswerAsync(EmulatorCommand command, Reply reply) => SendAsync(_queues.Open(QueueNames.Results), command, reply, CancellationToken.None);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var queue = _queues.Open(QueueNames.Commands(_siteId));
        var results = _queues.Open(QueueNames.Results);
        await queue.EnsureExistsAsync(cancellationToken);
        await results.EnsureExistsAsync(cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            IReadOnlyList<InboundMessage> messages;
            try
            {
                messages = await queue.ReceiveAsync(16, TimeSpan.FromSeconds(30), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var message in messages)
            {
                var command = ProtocolJson.TryDeserialize<EmulatorCommand>(message.Body, out _)!;
                Received.Enqueue(command);
                if (_script(command) is { } reply)
                {
                    await SendAsync(results, command, reply, cancellationToken);
                }

                await queue.CompleteAsync(message, cancellationToken);
            }

            if (messages.Count == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task SendAsync(IMessageQueue results, EmulatorCommand command, Reply reply, CancellationToken cancellationToken)
    {
        var site = reply.SiteId.Length > 0 ? reply.SiteId : command.SiteId;
        var now = DateTimeOffset.UtcNow;
        if (reply.ReportStart)
        {
            var started = new CommandStarted { SiteId = site, CommandId = command.CommandId, OperationId = command.OperationId, HostId = command.HostId, StartedAt = now };
            await results.SendAsync(new OutboundMessage(ProtocolJson.Serialize<RelayReport>(started)), cancellationToken);
        }

        if (!reply.Answer)
        {
            return;
        }

        var result = new CommandResult
        {
            SiteId = site,
            CommandId = command.CommandId,
            OperationId = command.OperationId,
            HostId = command.HostId,
            Outcome = reply.Outcome,
            ErrorCode = reply.ErrorCode,
            Error = reply.ErrorCode is null ? null : $"{reply.ErrorCode} happened",
            ExitCode = 0,
            Output = "out",
            Data = reply.Data ?? new Dictionary<string, string>(),
            StartedAt = now,
            CompletedAt = now,
        };
        await results.SendAsync(new OutboundMessage(ProtocolJson.Serialize<RelayReport>(result)), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
