using System.CommandLine;
using System.Globalization;

namespace LdFleet.Cli.Commands;

/// <summary>Building blocks the command groups share: actions with a context, paging options, argument parsing.</summary>
internal static class CommandKit
{
    public const int DefaultLimit = 100;

    /// <summary>Runs <paramref name="action"/> with a context made from the parsed command line.</summary>
    public static Command WithAction(this Command command, Func<CliContext, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = CliContext.Create(parse);
            return await action(context, cancellationToken);
        });
        return command;
    }

    public static Command With(this Command command, params Symbol[] symbols)
    {
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    command.Options.Add(option);
                    break;
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Command sub:
                    command.Subcommands.Add(sub);
                    break;
            }
        }

        return command;
    }

    public static Argument<string> Arg(string name, string description) => new(name) { Description = description };

    public static Option<string?> Text(string name, string description, params string[] aliases) => new(name, aliases) { Description = description };

    public static Option<string[]> Many(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.ZeroOrMore };

    public static Option<bool> Flag(string name, string description, params string[] aliases) => new(name, aliases) { Description = description };

    /// <summary>--limit and --all, as every listing takes them.</summary>
    public sealed class Paging
    {
        public Option<int?> Limit { get; } = new("--limit") { Description = $"At most this many items (default {DefaultLimit}; pages are followed as needed)." };

        public Option<bool> All { get; } = new("--all") { Description = "Every item, following the API's continuation tokens." };

        public Symbol[] Symbols => [Limit, All];

        public int? Resolve(ParseResult parse)
        {
            if (parse.GetValue(All))
            {
                return null;
            }

            var limit = parse.GetValue(Limit) ?? DefaultLimit;
            return limit > 0 ? limit : throw new CliException(ExitCodes.Usage, "--limit must be above 0.");
        }
    }

    /// <summary>Reads <c>key=value</c> pairs (parameters, labels).</summary>
    public static Dictionary<string, string> KeyValues(IEnumerable<string>? pairs, string option)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                throw new CliException(ExitCodes.Usage, $"{option} takes key=value, not '{pair}'.");
            }

            result[pair[..separator]] = pair[(separator + 1)..];
        }

        return result;
    }

    /// <summary>An emulator written as <c>site/host/index</c> (the id the API shows).</summary>
    public static (string Site, string Host, int Index) Emulator(string text)
    {
        var parts = text.Split('/');
        return parts is [{ Length: > 0 } site, { Length: > 0 } host, var index] && int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? (site, host, parsed)
            : throw new CliException(ExitCodes.Usage, $"'{text}' is not an emulator id; write site/host/index, e.g. lab/host-1/3.");
    }

    /// <summary>A duration as seconds (<c>90</c>), with a unit (<c>90s</c>, <c>5m</c>, <c>2h</c>) or as <c>hh:mm:ss</c>.</summary>
    public static TimeSpan? Duration(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        var unit = text[^1] switch { 's' => 1.0, 'm' => 60.0, 'h' => 3600.0, _ => 0 };
        var number = unit == 0 ? text : text[..^1];
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return TimeSpan.FromSeconds(value * (unit == 0 ? 1 : unit));
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero
            ? span
            : throw new CliException(ExitCodes.Usage, $"{option} takes a duration such as 90, 90s, 5m or 00:05:00, not '{text}'.");
    }

    public static string Escape(string segment) => Uri.EscapeDataString(segment);
}
