using LdFleet.Relay.Hosting;

namespace LdFleet.Relay.LdPlayer;

/// <summary>What one ldconsole call printed and returned, decoded.</summary>
internal sealed record LdConsoleOutput(int ExitCode, string Text, bool TimedOut, TimeSpan Duration)
{
    /// <summary>Successful ldconsole actions print nothing; any text at all is a strong failure signal (reference §2.2).</summary>
    public bool IsSilent => Text.Trim().Length == 0;
}

/// <summary>One LDPlayer host reached by running its ldconsole as a local process.</summary>
internal sealed class LdPlayerHost
{
    private readonly LdPlayerHostOptions _options;
    private readonly IProcessRunner _runner;

    public LdPlayerHost(LdPlayerHostOptions options, IProcessRunner runner)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _runner = runner;
    }

    public string Id => _options.Id;

    public async Task<LdConsoleOutput> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var spec = new ProcessSpec(_options.LdConsolePath, arguments, timeout) { Environment = _options.Environment };
        var result = await _runner.RunAsync(spec, cancellationToken);

        // ldconsole writes its errors to stdout; stderr is kept after it for the rare crash message.
        var text = ConsoleText.Decode(result.StandardOutput, _options.CodePage);
        var errors = ConsoleText.Decode(result.StandardError, _options.CodePage);
        if (errors.Length > 0)
        {
            text = text.Length == 0 ? errors : text + "\n" + errors;
        }

        return new LdConsoleOutput(result.ExitCode, text, result.TimedOut, result.Duration);
    }
}

/// <summary>The hosts this relay drives, by id.</summary>
internal sealed class LdPlayerHostRegistry
{
    private readonly Dictionary<string, LdPlayerHost> _hosts;

    public LdPlayerHostRegistry(IEnumerable<LdPlayerHost> hosts) =>
        _hosts = hosts.ToDictionary(h => h.Id, StringComparer.Ordinal);

    public IReadOnlyCollection<LdPlayerHost> All => _hosts.Values;

    public LdPlayerHost? Find(string hostId) => _hosts.GetValueOrDefault(hostId);
}
