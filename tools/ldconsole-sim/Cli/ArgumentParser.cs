namespace LdFleet.LdConsoleSim.Cli;

/// <summary>
/// Splits argv the way ldconsole does: <c>command --key value ...</c>. Option names are matched
/// case-insensitively (the reference spells <c>--LLI</c> upper-case while wrappers vary). An option
/// directly followed by another option (e.g. <c>--mini</c>, <c>--clear</c>) gets an empty value.
/// Stray positional tokens are ignored, like unknown options (§2.1).
/// </summary>
internal static class ArgumentParser
{
    public static ParsedArgs Parse(IReadOnlyList<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (args.Count == 0)
        {
            return new ParsedArgs(null, options);
        }

        for (var i = 1; i < args.Count; i++)
        {
            var token = args[i];
            if (!IsOptionName(token))
            {
                continue;
            }

            var name = token[2..];
            var hasValue = i + 1 < args.Count && !IsOptionName(args[i + 1]);
            options[name] = hasValue ? args[++i] : string.Empty;
        }

        return new ParsedArgs(args[0], options);
    }

    private static bool IsOptionName(string token) =>
        token.Length > 2 && token.StartsWith("--", StringComparison.Ordinal);
}
