using System.Net;
using System.Text.Json;

namespace LdFleet.Cli.Api;

/// <summary>Turns an error answer (RFC 7807 problem details, or anything else) into a readable message and an exit code.</summary>
internal static class Problem
{
    public static CliException ToException(HttpStatusCode status, string? mediaType, string body, string request)
    {
        var code = (int)status;
        var exit = status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.Auth,
            _ when code >= 500 => ExitCodes.Network,
            _ => ExitCodes.ApiError,
        };

        var details = new List<string>();
        string title;
        JsonElement problem = default;
        var isJson = mediaType is not null && mediaType.Contains("json", StringComparison.OrdinalIgnoreCase);
        if (isJson && TryParse(body, out problem) && problem.ValueKind == JsonValueKind.Object)
        {
            title = String(problem, "title") ?? status.ToString();
            if (String(problem, "detail") is { } detail)
            {
                details.Add(detail);
            }

            if (problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in errors.EnumerateObject())
                {
                    var messages = field.Value.ValueKind == JsonValueKind.Array
                        ? field.Value.EnumerateArray().Select(m => m.ToString())
                        : [field.Value.ToString()];
                    details.AddRange(messages.Select(m => $"  {field.Name}: {m}"));
                }
            }
        }
        else
        {
            title = status.ToString();
            if (!string.IsNullOrWhiteSpace(body))
            {
                details.Add(body.Length > 500 ? body[..500] + "..." : body.Trim());
            }
        }

        details.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"(HTTP {code} from {request}{(problem.ValueKind == JsonValueKind.Object && String(problem, "traceId") is { } trace ? $", trace {trace}" : "")})"));
        if (status == HttpStatusCode.Unauthorized)
        {
            details.Add("Log in again: ldfleet login (or check LDFLEET_TOKEN).");
        }

        return new CliException(exit, title, details);
    }

    private static bool TryParse(string body, out JsonElement element)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            element = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            element = default;
            return false;
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
