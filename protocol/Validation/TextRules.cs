using System.Globalization;
using System.Text;

namespace LdFleet.Protocol.Validation;

/// <summary>
/// What free text may contain anywhere LdFleet accepts it (titles, labels, names, parameters): text that reaches
/// ldconsole's command line, the dashboard, the CLI's tables and the logs must look like what it is.
/// </summary>
/// <remarks>
/// Refused everywhere: control characters (C0, DEL, C1, so also tabs and line breaks: list2 and logs are
/// line-based), the line and paragraph separators, every invisible formatting character (Unicode category Cf:
/// the bidi controls U+061C, U+200E-200F, U+202A-202E, U+2066-2069 that make text display in another order than
/// it is stored, the zero-width characters U+200B-200D, U+2060 and U+FEFF, soft hyphens, tag characters...),
/// unpaired surrogates and noncharacters. A right-to-left override in a title would make the dashboard, the CLI
/// and the logs show a different name from the one ldconsole gets.
/// </remarks>
public static class TextRules
{
    /// <summary>Why <paramref name="value"/> cannot be accepted as text, as a fragment ("must not contain ..."), or null.</summary>
    public static string? Problem(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var rest = value.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return "must be valid Unicode text (it contains an unpaired surrogate).";
            }

            if (Describe(rune) is { } kind)
            {
                return $"must not contain {kind} (U+{rune.Value:X4}).";
            }

            rest = rest[consumed..];
        }

        return null;
    }

    /// <summary>
    /// The usual check for a free-text field: required (unless <paramref name="allowEmpty"/>), at most
    /// <paramref name="maxLength"/> UTF-16 characters, no double quotes (ldconsole re-parses its Windows command line),
    /// and nothing <see cref="Problem"/> refuses. A fragment ("must ...") or null.
    /// </summary>
    public static string? Check(string? value, int maxLength, bool allowEmpty = false, bool allowDoubleQuotes = false)
    {
        if (value is null || (!allowEmpty && value.Length == 0))
        {
            return "is required.";
        }

        if (value.Length > maxLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"must be at most {maxLength} characters.");
        }

        if (!allowDoubleQuotes && value.Contains('"', StringComparison.Ordinal))
        {
            return "must not contain double quotes.";
        }

        return Problem(value);
    }

    /// <summary>What kind of refused character <paramref name="rune"/> is, or null when it is fine in text.</summary>
    private static string? Describe(Rune rune)
    {
        var value = rune.Value;
        if (Rune.IsControl(rune))
        {
            return "a control character or line break";
        }

        if (value is 0x202A or 0x202B or 0x202C or 0x202D or 0x202E or 0x2066 or 0x2067 or 0x2068 or 0x2069 or 0x200E or 0x200F or 0x061C)
        {
            return "a bidirectional control character";
        }

        if (value is 0x200B or 0x200C or 0x200D or 0x2060 or 0xFEFF)
        {
            return "a zero-width character";
        }

        // Noncharacters: U+FDD0-FDEF and the last two code points of every plane.
        if (value is >= 0xFDD0 and <= 0xFDEF || (value & 0xFFFE) == 0xFFFE)
        {
            return "a Unicode noncharacter";
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => "a line or paragraph separator",
            UnicodeCategory.Format => "an invisible formatting character",
            _ => null,
        };
    }
}
