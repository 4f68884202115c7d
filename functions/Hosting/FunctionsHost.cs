using System.Collections;

namespace LdFleet.Functions.Hosting;

/// <summary>
/// Tells whether the Azure Functions host started this process. The host launches its language worker with the
/// address of its gRPC endpoint (<c>--functions-uri</c>, older hosts <c>--host</c>/<c>--port</c>); without it the app
/// hosts itself as a plain ASP.NET Core app.
/// </summary>
internal static class FunctionsHost
{
    private const string HostEndpointSetting = "Functions:Worker:HostEndpoint";

    public static bool Started(string[] args, IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Any(a => a.Equals("--functions-uri", StringComparison.OrdinalIgnoreCase) || a.Equals("--host", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        // The same setting through any configuration source, e.g. Functions__Worker__HostEndpoint.
        var variables = environment ?? Environment.GetEnvironmentVariables();
        return variables[HostEndpointSetting.Replace(":", "__", StringComparison.Ordinal)] is string endpoint && !string.IsNullOrWhiteSpace(endpoint);
    }
}
