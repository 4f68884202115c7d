using System.Globalization;
using System.Text.RegularExpressions;

namespace LdFleet.Relay.LdPlayer.Catalog;

/// <summary>
/// Validation of values passed to ldconsole. Arguments travel as an argument list, but ldconsole re-parses
/// its Windows command line and hands some values to adb and a shell, so quotes, control characters and
/// line breaks are refused outright rather than escaped.
/// </summary>
internal static partial class LdArguments
{
    public const int MaxTitleLength = 64;
    public const int MaxAdbCommandLength = 4096;

    public static string Title(string parameter, string? value)
    {
        var title = Text(parameter, value, MaxTitleLength);
        if (title.Trim().Length != title.Length)
        {
            throw new LdArgumentException(parameter, "must not start or end with white space.");
        }

        // A title of digits only would be read as an index by copy --from (reference §2.1).
        if (title.All(char.IsAsciiDigit))
        {
            throw new LdArgumentException(parameter, "must not consist of digits only (ldconsole would read it as an index).");
        }

        return title;
    }

    public static string PackageName(string parameter, string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 255 || !PackagePattern().IsMatch(value))
        {
            throw new LdArgumentException(parameter, "must be an Android package name such as com.example.app.");
        }

        return value;
    }

    /// <summary>A path on the LDPlayer host (APK, backup file). Windows paths, no quotes or wildcards.</summary>
    public static string HostPath(string parameter, string? value, string? requiredExtension = null)
    {
        var path = Text(parameter, value, 260);
        if (path.IndexOfAny(['*', '?', '<', '>', '|']) >= 0)
        {
            throw new LdArgumentException(parameter, "must not contain * ? < > or |.");
        }

        if (requiredExtension is not null && !path.EndsWith(requiredExtension, StringComparison.OrdinalIgnoreCase))
        {
            throw new LdArgumentException(parameter, $"must end with {requiredExtension}.");
        }

        return path;
    }

    public static string PropertyKey(string parameter, string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 128 || !PropertyKeyPattern().IsMatch(value))
        {
            throw new LdArgumentException(parameter, "must be an Android property name (letters, digits, '.', '_', '-').");
        }

        return value;
    }

    public static string PropertyValue(string parameter, string? value) => Text(parameter, value, 92, allowEmpty: true);

    /// <summary>The text of <c>adb --command</c>: passed to adb and often to a guest shell, so no quotes at all.</summary>
    public static string AdbCommand(string parameter, string? value)
    {
        var command = Text(parameter, value, MaxAdbCommandLength);
        if (command.Contains('\'', StringComparison.Ordinal))
        {
            throw new LdArgumentException(parameter, "must not contain quotes.");
        }

        return command;
    }

    public static string Coordinates(string parameter, double longitude, double latitude)
    {
        if (!double.IsFinite(longitude) || longitude is < -180 or > 180)
        {
            throw new LdArgumentException(parameter, "longitude must be between -180 and 180.");
        }

        if (!double.IsFinite(latitude) || latitude is < -90 or > 90)
        {
            throw new LdArgumentException(parameter, "latitude must be between -90 and 90.");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{longitude},{latitude}");
    }

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Flag(bool value) => value ? "1" : "0";

    /// <summary>Free text: length-limited, no double quotes, no control characters (which includes CR and LF).</summary>
    public static string Text(string parameter, string? value, int maxLength, bool allowEmpty = false)
    {
        if (value is null || (!allowEmpty && value.Length == 0))
        {
            throw new LdArgumentException(parameter, "is required.");
        }

        if (value.Length > maxLength)
        {
            throw new LdArgumentException(parameter, $"must be at most {maxLength} characters.");
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"')
            {
                throw new LdArgumentException(parameter, "must not contain double quotes.");
            }

            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                throw new LdArgumentException(parameter, "must not contain control characters or line breaks.");
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new LdArgumentException(parameter, "must be valid Unicode text.");
            }
        }

        return value;
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+\z", RegexOptions.CultureInvariant)]
    private static partial Regex PackagePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex PropertyKeyPattern();
}
