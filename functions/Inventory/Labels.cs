using System.Text.RegularExpressions;
using LdFleet.Protocol.Validation;

namespace LdFleet.Functions.Inventory;

/// <summary>
/// Rules for emulator labels. Each label is stored as its own table property (<c>label_{key}</c>), so a label
/// selector becomes a server-side filter; hence keys follow table property naming rules.
/// </summary>
internal static partial class Labels
{
    public const string PropertyPrefix = "label_";
    public const int MaxLabels = 32;
    public const int MaxKeyLength = 63;
    public const int MaxValueLength = 256;

    public static string? ValidateKey(string key) =>
        KeyPattern().IsMatch(key) ? null : $"A label key is 1 to {MaxKeyLength} lower-case letters, digits or '_', starting with a letter.";

    /// <summary>Label values are free text shown in the dashboard and the CLI: the shared text rules apply (no control, bidi or zero-width characters).</summary>
    public static string? ValidateValue(string value) =>
        TextRules.Check(value, MaxValueLength, allowDoubleQuotes: true) is { } problem
            ? $"A label value is 1 to {MaxValueLength} characters of visible text; this one {problem}"
            : null;

    /// <summary>Field errors for a whole label set, keyed "labels.{key}".</summary>
    public static IEnumerable<(string Field, string Error)> Validate(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count > MaxLabels)
        {
            yield return ("labels", $"At most {MaxLabels} labels per emulator.");
        }

        foreach (var (key, value) in labels)
        {
            var field = "labels." + (key.Length <= MaxKeyLength ? key : key[..MaxKeyLength]);
            if (ValidateKey(key) is { } keyError)
            {
                yield return (field, keyError);
            }
            else if (ValidateValue(value) is { } valueError)
            {
                yield return (field, valueError);
            }
        }
    }

    /// <summary>Parses a <c>key=value</c> selector from a query string.</summary>
    public static (string Key, string Value)? ParseSelector(string selector, out string? error)
    {
        ArgumentNullException.ThrowIfNull(selector);
        var split = selector.IndexOf('=', StringComparison.Ordinal);
        if (split <= 0)
        {
            error = "A label selector is key=value.";
            return null;
        }

        var (key, value) = (selector[..split], selector[(split + 1)..]);
        error = ValidateKey(key) ?? ValidateValue(value);
        return error is null ? (key, value) : null;
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}

/// <summary>An emulator title pattern: <c>*</c> matches any run of characters, <c>?</c> one; case-insensitive.</summary>
internal sealed class NamePattern
{
    public const int MaxLength = 128;
    private readonly Regex _regex;

    private NamePattern(string pattern)
    {
        Pattern = pattern;
        var body = Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal);
        _regex = new Regex("^" + body + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking);
    }

    public string Pattern { get; }

    /// <summary>The lower-cased text before the first wildcard ("ldplayer-7" for "LDPlayer-7*").</summary>
    public string LiteralPrefix => Pattern[..(Pattern.IndexOfAny(['*', '?']) is var i and >= 0 ? i : Pattern.Length)].ToLowerInvariant();

    public static NamePattern? Parse(string? pattern, out string? error)
    {
        error = null;
        if (pattern is null)
        {
            return null;
        }

        if (pattern.Length is 0 or > MaxLength || TextRules.Problem(pattern) is not null)
        {
            error = $"name is a pattern of 1 to {MaxLength} characters; '*' matches any run of characters and '?' one.";
            return null;
        }

        return new NamePattern(pattern);
    }

    public bool IsMatch(string title) => _regex.IsMatch(title);
}
