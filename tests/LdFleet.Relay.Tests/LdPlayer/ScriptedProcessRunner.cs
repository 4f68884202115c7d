using System.Text;
using LdFleet.Relay.LdPlayer;

namespace LdFleet.Relay.Tests.LdPlayer;

/// <summary>A process runner that answers each ldconsole command from a script, for classification tests.</summary>
internal sealed class ScriptedProcessRunner : IProcessRunner
{
    private readonly Dictionary<string, Queue<ProcessResult>> _answers = new(StringComparer.Ordinal);

    public List<IReadOnlyList<string>> Calls { get; } = [];

    public ScriptedProcessRunner Answer(string command, int exitCode, string stdout = "", bool timedOut = false)
    {
        if (!_answers.TryGetValue(command, out var queue))
        {
            _answers[command] = queue = new Queue<ProcessResult>();
        }

        queue.Enqueue(new ProcessResult(exitCode, Encoding.UTF8.GetBytes(stdout), [], TimeSpan.FromMilliseconds(5), timedOut));
        return this;
    }

    public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        Calls.Add(spec.Arguments);
        var queue = _answers[spec.Arguments[0]];

        // The last answer repeats, like a host whose state has settled.
        return Task.FromResult(queue.Count > 1 ? queue.Dequeue() : queue.Peek());
    }
}
