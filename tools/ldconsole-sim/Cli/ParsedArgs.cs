using System.Globalization;

namespace LdFleet.LdConsoleSim.Cli;

/// <summary>A command word followed by <c>--option value</c> pairs (reference §2.1).</summary>
internal sealed class ParsedArgs
{
    private readonly Dictionary<string, string> _options;

    public ParsedArgs(string? command, Dictionary<string, string> options)
    {
        Command = command;
        _options = options;
    }

    /// <summary>The first token, or null when ldconsole was called without arguments.</summary>
    public string? Command { get; }

    public bool Has(string option) => _options.ContainsKey(option);

    public string? Get(string option) => _options.TryGetValue(option, out var value) ? value : null;

    /// <summary>Parses a non-negative decimal option; null when absent or not a plain number.</summary>
    public int? GetInt(string option) =>
        Get(option) is { } text && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
}
