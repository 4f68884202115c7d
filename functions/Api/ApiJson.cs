using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LdFleet.Functions.Api;

/// <summary>
/// Reads JSON request bodies strictly (unknown fields, nulls in non-nullable fields and missing required
/// fields are errors) and turns every failure into a validation problem naming the offending field, which
/// the framework's own binder does not do.
/// </summary>
internal static class ApiJson
{
    public static JsonSerializerOptions RequestOptions { get; } = CreateRequestOptions();

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.HasJsonContentType())
        {
            return (null, Problems.Status(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType, "The body must be JSON.", "Send Content-Type: application/json."));
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, RequestOptions, cancellationToken);
            return value is null ? (null, Problems.Validation("body", "A JSON object is required.")) : (value, null);
        }
        catch (JsonException ex)
        {
            var (field, error) = Describe(ex);
            return (null, Problems.Validation(field, error));
        }
        catch (BadHttpRequestException ex)
        {
            return (null, Problems.Status(ex.StatusCode, ProblemTypes.ForStatus(ex.StatusCode), "The request body could not be read.", ex.Message));
        }
    }

    /// <summary>"$.labels.env" becomes "labels.env"; the root becomes "body".</summary>
    public static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Length == 0 ? "body" : field;
    }

    /// <summary>
    /// The field and a message a client can act on; the serializer's own messages name CLR types and line
    /// numbers, which mean nothing to API clients.
    /// </summary>
    private static (string Field, string Error) Describe(JsonException ex)
    {
        var message = ex.Message;
        var field = FieldOf(ex.Path);
        var missing = message.IndexOf("missing required properties including: '", StringComparison.Ordinal);
        if (missing >= 0)
        {
            var name = message[(missing + "missing required properties including: '".Length)..];
            var end = name.IndexOf('\'', StringComparison.Ordinal);
            return (end > 0 ? name[..end] : field, "Required.");
        }

        if (message.Contains("null", StringComparison.OrdinalIgnoreCase) && (message.Contains("doesn't allow null", StringComparison.Ordinal) || message.Contains("non-nullable", StringComparison.Ordinal)))
        {
            return (field, "Must not be null.");
        }

        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return (field, "The value has the wrong type or format.");
        }

        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return (field, "Unknown field.");
        }

        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return (field, "The JSON is nested too deeply.");
        }

        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (field, "Not valid JSON: " + (cut > 0 ? message[..cut] : message));
    }

    private static JsonSerializerOptions CreateRequestOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            AllowDuplicateProperties = false,
            MaxDepth = 16,
        };
        options.Converters.Add(new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
