using System.Globalization;
using LdFleet.Protocol.Validation;

namespace LdFleet.Relay.LdPlayer.Catalog;

/// <summary>
/// Validation of values passed to ldconsole, by the rules the API applies at the door (<see cref="ParameterRules"/>,
/// <see cref="TextRules"/>), so the two cannot drift. Arguments travel as an argument list, but ldconsole re-parses
/// its Windows command line and hands some values to adb and a shell, so quotes, control characters and line breaks
/// are refused outright rather than escaped.
/// </summary>
internal static class LdArguments
{
    public const int MaxTitleLength = ParameterRules.MaxTitleLength;
    public const int MaxAdbCommandLength = ParameterRules.MaxAdbCommandLength;

    public static string Title(string parameter, string? value) => Checked(parameter, value, ParameterRules.Title);

    public static string PackageName(string parameter, string? value) => Checked(parameter, value, ParameterRules.PackageName);

    /// <summary>An absolute path on the LDPlayer host (APK, backup file) ending with <paramref name="requiredExtension"/>.</summary>
    public static string HostPath(string parameter, string? value, string requiredExtension) =>
        Checked(parameter, value, v => ParameterRules.HostPath(v, requiredExtension));

    public static string PropertyKey(string parameter, string? value) => Checked(parameter, value, ParameterRules.PropertyKey);

    public static string PropertyValue(string parameter, string? value) => Checked(parameter, value, ParameterRules.PropertyValue);

    /// <summary>The text of <c>adb --command</c>: passed to adb and often to a guest shell, so no quotes at all.</summary>
    public static string AdbCommand(string parameter, string? value) => Checked(parameter, value, ParameterRules.AdbCommand);

    public static string Coordinates(string parameter, double longitude, double latitude)
    {
        if (ParameterRules.Longitude(longitude) is { } lngError)
        {
            throw new LdArgumentException(parameter, "longitude " + lngError);
        }

        if (ParameterRules.Latitude(latitude) is { } latError)
        {
            throw new LdArgumentException(parameter, "latitude " + latError);
        }

        return string.Create(CultureInfo.InvariantCulture, $"{longitude},{latitude}");
    }

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Flag(bool value) => value ? "1" : "0";

    /// <summary>Free text: length-limited, no double quotes, nothing <see cref="TextRules"/> refuses (controls, line breaks, bidi, zero-width).</summary>
    public static string Text(string parameter, string? value, int maxLength, bool allowEmpty = false) =>
        TextRules.Check(value, maxLength, allowEmpty) is { } error ? throw new LdArgumentException(parameter, error) : value!;

    /// <summary>Throws for a value the rule refuses; a number the rule checks as such is passed through.</summary>
    public static void Check(string parameter, string? error)
    {
        if (error is not null)
        {
            throw new LdArgumentException(parameter, error);
        }
    }

    private static string Checked(string parameter, string? value, Func<string, string?> rule)
    {
        if (value is null)
        {
            throw new LdArgumentException(parameter, "is required.");
        }

        Check(parameter, rule(value));
        return value;
    }
}
