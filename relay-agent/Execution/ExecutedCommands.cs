using System.Collections.Concurrent;
using LdFleet.Protocol.Commands;

namespace LdFleet.Relay.Execution;

/// <summary>
/// Results of commands this process already executed, so a redelivered command is answered from the record
/// instead of running ldconsole again. Bounded and in memory: it does not survive a restart.
/// </summary>
internal sealed class ExecutedCommands
{
    private const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, CommandResult> _results = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public bool TryGet(string commandId, out CommandResult result) => _results.TryGetValue(commandId, out result!);

    public void Record(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!_results.TryAdd(result.CommandId, result))
        {
            return;
        }

        _order.Enqueue(result.CommandId);
        while (_order.Count > Capacity && _order.TryDequeue(out var oldest))
        {
            _results.TryRemove(oldest, out _);
        }
    }
}
