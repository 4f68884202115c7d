using System.Globalization;

namespace LdFleet.Functions.Hosting;

/// <summary>
/// How the app is hosted. In Azure the Functions host starts it as a custom handler and passes the port to
/// listen on in <c>FUNCTIONS_CUSTOMHANDLER_PORT</c>; the host then fires timers and queue triggers by POSTing
/// to <c>/{functionName}</c>. Without that variable the app is self-hosted and drives its own timers and
/// queue consumers. The same services run underneath either way.
/// </summary>
internal static class HostingMode
{
    public const string PortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>The port the Functions host assigned, or null when self-hosted.</summary>
    public static int? CustomHandlerPort(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[PortVariable];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new InvalidOperationException($"{PortVariable} is '{value}', not a TCP port number (1-65535). The Functions host sets it; unset it to run self-hosted.");
    }

    public static bool IsCustomHandler(IConfiguration configuration) => CustomHandlerPort(configuration) is not null;
}
