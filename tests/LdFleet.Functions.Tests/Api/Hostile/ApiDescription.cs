using System.Text.Json;

namespace LdFleet.Functions.Tests.Api.Hostile;

/// <summary>A parameter of an operation as the OpenAPI document declares it (<c>in</c>: path, query or header).</summary>
internal sealed record ApiParameter(string Name, string In, string? Type, string? Format, long? Minimum, long? Maximum);

/// <summary>
/// One operation of the OpenAPI document: what the hostile walk needs to build requests for it. The role is not in the
/// document in a machine-readable form (it is a sentence of the description), so the walk takes it from the endpoint's
/// authorization metadata and checks that the document's security requirement agrees.
/// </summary>
internal sealed record ApiOperation(string Method, string Path, IReadOnlyList<ApiParameter> Parameters, string? BodyContentType, JsonElement? BodySchema)
{
    /// <summary>Anonymous by design (the health probes): the document's security requirement is empty.</summary>
    public bool Anonymous { get; init; }

    /// <summary>The app role the endpoint's policy requires (<c>Fleet.Read</c>, ...); null when anonymous.</summary>
    public string? Role { get; init; }

    /// <summary>GET is the only read method the API has; everything else changes state when it succeeds.</summary>
    public bool Mutating => Method != "GET";

    public bool JsonBody => BodyContentType is "application/json";

    public bool TakesIdempotencyKey => Parameters.Any(p => p.In == "header" && p.Name == "Idempotency-Key");

    public IEnumerable<ApiParameter> InPath => Parameters.Where(p => p.In == "path");

    public IEnumerable<ApiParameter> InQuery => Parameters.Where(p => p.In == "query");

    public override string ToString() => $"{Method} {Path}";
}

/// <summary>Reads the operations out of the app's own OpenAPI document, resolving <c>$ref</c>s into its components.</summary>
internal sealed class ApiDescription
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    private readonly JsonElement _document;

    public ApiDescription(JsonElement document)
    {
        _document = document;
        Operations = [.. document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(o => Methods.Contains(o.Name))
            .Select(o => Read(path.Name, o.Name.ToUpperInvariant(), o.Value)))];
    }

    public IReadOnlyList<ApiOperation> Operations { get; }

    /// <summary>The schema itself: a <c>$ref</c> resolved, and of <c>oneOf</c>/<c>anyOf</c> the first branch that is not just null.</summary>
    public JsonElement Resolve(JsonElement schema)
    {
        for (var hops = 0; hops < 16; hops++)
        {
            if (schema.TryGetProperty("$ref", out var reference))
            {
                var name = reference.GetString()!.Split('/')[^1];
                schema = _document.GetProperty("components").GetProperty("schemas").GetProperty(name);
            }
            else if ((schema.TryGetProperty("oneOf", out var branches) || schema.TryGetProperty("anyOf", out branches))
                && branches.EnumerateArray().FirstOrDefault(b => TypeOf(b) != "null") is { ValueKind: JsonValueKind.Object } branch)
            {
                schema = branch;
            }
            else
            {
                return schema;
            }
        }

        return schema;
    }

    /// <summary>The schema's type; of a 3.1 type list such as <c>["null", "string"]</c>, the one that is not null.</summary>
    public static string? TypeOf(JsonElement schema) =>
        !schema.TryGetProperty("type", out var type) ? null
        : type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).FirstOrDefault(t => t != "null")
        : type.GetString();

    private ApiOperation Read(string path, string method, JsonElement operation)
    {
        var parameters = new List<ApiParameter>();
        foreach (var parameter in operation.TryGetProperty("parameters", out var list) ? list.EnumerateArray() : default)
        {
            var schema = parameter.TryGetProperty("schema", out var s) ? Resolve(s) : default;
            parameters.Add(new ApiParameter(
                parameter.GetProperty("name").GetString()!,
                parameter.GetProperty("in").GetString()!,
                schema.ValueKind == JsonValueKind.Object ? TypeOf(schema) : null,
                schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("format", out var format) ? format.GetString() : null,
                Number(schema, "minimum"),
                Number(schema, "maximum")));
        }

        string? contentType = null;
        JsonElement? bodySchema = null;
        if (operation.TryGetProperty("requestBody", out var body) && body.TryGetProperty("content", out var content))
        {
            var media = content.EnumerateObject().First();
            contentType = media.Name;
            bodySchema = media.Value.TryGetProperty("schema", out var schema) ? Resolve(schema) : null;
        }

        // An empty requirement ({}) is how the document says "no authentication" (OpenApiSetup).
        var anonymous = operation.TryGetProperty("security", out var security)
            && security.EnumerateArray().Any(r => r.EnumerateObject().Count() == 0);
        return new ApiOperation(method, path, parameters, contentType, bodySchema) { Anonymous = anonymous };
    }

    private static long? Number(JsonElement schema, string name) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.Number ? value.GetInt64() : long.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null
            : null;
}
