using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using LdFleet.Functions.Api.Security;

namespace LdFleet.Functions.Tests.Api.Hostile;

/// <summary>Who calls: nobody, a forger of some kind, or a holder of a valid token with a role (or none).</summary>
internal enum AuthKind
{
    None,
    Garbage,
    WrongKey,
    AlgNone,
    Tampered,
    Expired,
    WrongAudience,
    NoRole,
    Read,
    Operate,
    Admin,
}

internal static class AuthKinds
{
    public static IReadOnlyList<AuthKind> All { get; } = Enum.GetValues<AuthKind>();

    /// <summary>A token the app must accept as the caller's identity (with or without a role).</summary>
    public static bool IsValid(this AuthKind kind) => kind >= AuthKind.NoRole;

    /// <summary>Whether the caller's role is <paramref name="role"/> or a higher one.</summary>
    public static bool Satisfies(this AuthKind kind, string role) => kind switch
    {
        AuthKind.Read => FleetRoles.Satisfying(role).Contains(FleetRoles.Read),
        AuthKind.Operate => FleetRoles.Satisfying(role).Contains(FleetRoles.Operate),
        AuthKind.Admin => FleetRoles.Satisfying(role).Contains(FleetRoles.Admin),
        _ => false,
    };
}

/// <summary>
/// One generated request. <see cref="Refusal"/> names the part of it the app must refuse (a malformed id in the path,
/// a body that is not JSON, a non-UTF-8 charset, a malformed Idempotency-Key, a body that is not an APK): every request
/// to a mutating operation has one, so none may succeed, whoever calls, and the fleet's state must not change.
/// </summary>
internal sealed record HostileRequest(
    ApiOperation Operation,
    AuthKind Auth,
    string Target,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string? Body,
    byte[]? RawBody,
    string? ContentType,
    string? Refusal)
{
    /// <summary>Every path value is non-empty, so routing finds the operation's endpoint (an empty one leaves "//" in the path).</summary>
    public bool Routable { get; init; } = true;

    public HttpRequestMessage Build(IReadOnlyDictionary<AuthKind, string> tokens)
    {
        var request = new HttpRequestMessage(new HttpMethod(Operation.Method), new Uri(Target, UriKind.Relative));
        if (tokens.TryGetValue(Auth, out var token))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        foreach (var (name, value) in Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var bytes = RawBody ?? (Body is null ? null : Encoding.UTF8.GetBytes(Body));
        if (bytes is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            if (ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }

            // As real clients of large uploads do: the server can refuse before the body is on the wire, instead of
            // closing the connection under a client still sending.
            request.Headers.ExpectContinue = bytes.Length > 64 * 1024;
        }

        return request;
    }

    public override string ToString()
    {
        var headers = string.Join(" ", Headers.Select(h => $"{h.Key}: {Cut(h.Value, 40)}"));
        var body = RawBody is not null ? $"{RawBody.Length} bytes" : Body is null ? "" : $"{Body.Length} chars {Cut(Body, 120)}";
        return $"{Operation} as {Auth}: {Operation.Method} {Cut(Target, 200)} [{headers}] [{ContentType}] {body} (must refuse: {Refusal ?? "-"})";
    }

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..length] + $"...({text.Length})";
}

/// <summary>
/// CsCheck generators of hostile requests for the operations of the OpenAPI document. Values are typed by the
/// document's schemas: integers get out-of-range, negative, huge and non-numeric values; strings get traversal,
/// injection, control and bidirectional characters, 5,000 characters, other scripts and empty; headers get odd
/// Accept types, charsets and Idempotency-Keys; bodies are broken JSON, wrong types, deep nesting, oversize, or shaped
/// like the request schema with hostile values. A fraction of path values are the seeded fleet's own, so requests
/// also get past the id checks to the code behind them.
/// </summary>
internal sealed class HostileRequests
{
    /// <summary>Hostile strings for queries and body fields (some of them are acceptable text there).</summary>
    private static readonly string[] Strings =
    [
        "", " ", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "..\\..\\windows\\win.ini", "/", "a/b", "%00", "%2e%2e", "C:\\Windows\\system32",
        "' or 1 eq 1 or '", "x' or PartitionKey ne '", "PartitionKey eq 'x'", "'; DROP TABLE emulators; --", "$filter=true", "a=b&c=d", "semi;colon",
        "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://x}", "$(touch /tmp/x)", "`id`", "| rm -rf /",
        "\u0000", "new\nline", "cr\rlf", "tab\tname", "\u001b[31mred", "\u007f", "\u0085",
        "invoice\u202Efdp.exe", "a\u2066b", "zero\u200Bwidth", "\uFEFFbom", "lone\uD800", "\uDFFFlow", "\uFFFE", "\uFDD0",
        "ünïcödé", "ЛАБ", "雷电模拟器-1", "🙂", "👍🏽", "\u0661\u0662", "Ǆ", "ﬁ", "İ",
        "UPPER", "-lead", "trail-", "double--hyphen", "white space", "NaN", "-1", "null", "true", "1e3", "0x10",
        new string('a', 41), new string('a', 65), new string('x', 5000), string.Concat(Enumerable.Repeat("雷", 5000)),
        string.Concat(Enumerable.Repeat("\u202E", 300)),
    ];

    /// <summary>Path values no id, name, workflow or hash accepts (escaped into one segment). Never "." or "..": the client would resolve them away.</summary>
    private static readonly string[] RefusedSegments =
    [
        "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "..\\..\\windows\\win.ini", "/", "%2e%2e", "a/b",
        "' or 1 eq 1 or '", "x' or PartitionKey ne '", "PartitionKey eq 'x'", "$filter=true", "'; DROP TABLE emulators; --",
        "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://x}", "%00", "\u202e", "ünïcödé", "ЛАБ", "🙂",
        "-lead", "white space", "tab\tname", "semi;colon", "a=b&c=d", new string('x', 5000), "-1",
    ];

    /// <summary>
    /// Refused as site ids (lower-case letters, digits and single hyphens, at most 40: they name queues) but not all
    /// as host ids, which may have capitals, '.', '_' and 64 characters, and need not be registered to be tested.
    /// </summary>
    private static readonly string[] RefusedSiteIds = ["UPPER", "trail-", "double--hyphen", new string('a', 41), "NaN", "dot.ted", "under_score"];

    /// <summary>Integer values the app must refuse, whatever the range (out of range ones are added per schema).</summary>
    private static readonly string[] RefusedIntegers =
        ["-1", "-2147483649", "2147483648", "99999999999", "99999999999999999999", "NaN", "1.5", "0x10", "1e3", "null", "true", "abc", "\u0661", "1;2", "１"];

    /// <summary>Odd but not necessarily invalid integers (leading zeros and signs parse).</summary>
    private static readonly string[] OddIntegers = ["0", "00", "+1", " 1", "1 ", "-0"];

    private static readonly string[] Dates = ["2026-13-45", "2026-02-30", "0000-00-00", "9999-12-31", "yesterday", "2026-12-03T00:00:00Z", "20261203", "-2026-01-01"];

    private static readonly string?[] Accepts =
        [null, "application/json", "application/xml", "text/html", "image/png", "*/*", "text/plain, application/xml;q=0.9", "application/problem+json", "application/json;q=0", "garbage/////", "text/html;charset=utf-16"];

    private static readonly string?[] JsonContentTypes =
        ["application/json", "application/json", "application/json; charset=utf-8", "application/json; charset=\"UTF8\"", "application/json;charset= UTF-8 ", "application/merge-patch+json", "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=", null];

    /// <summary>JSON with a charset that is not UTF-8: a 415 on every JSON endpoint.</summary>
    private static readonly string[] RefusedCharsets =
        ["application/json; charset=utf-16", "application/json; charset=iso-8859-1", "application/json; charset=klingon", "application/json; charset=\"utf-32\"", "application/problem+json; charset=windows-1252"];

    /// <summary>Bodies no JSON endpoint accepts: not JSON, a top-level value of the wrong kind, nesting past the reader's depth limit.</summary>
    private static readonly string[] RefusedJson =
    [
        "{", "{\"id\":", "{'id':'single-quoted'}", "\u00ff\u00fe garbage", "{\"a\":1,}", "[1,2,", "nul", "<xml/>", "id=x&y=z",
        "[]", "[{}]", "\"just a string\"", "123", "true", "-0.0e-999",
        new string('[', 2000) + new string(']', 2000),
        string.Concat(Enumerable.Repeat("{\"a\":", 1000)) + "1" + new string('}', 1000),
    ];

    /// <summary>Over the 1 MiB body limit: a 413.</summary>
    private static readonly string Oversize = "{\"id\":\"" + new string('a', (1024 * 1024) + 1000) + "\"}";

    /// <summary>Idempotency-Keys the app refuses: empty, too long, not printable ASCII.</summary>
    private static readonly string[] RefusedKeys = ["", new string('k', 256), new string('k', 5000), "a\tb", "\t"];

    /// <summary>Odd but acceptable keys (printable ASCII, 1-255).</summary>
    private static readonly string[] OddKeys = ["../../etc/passwd", "' or 1=1 --", "<script>", " spaced ", "%00", new string('k', 255)];

    /// <summary>Top-level body fields every mutating endpoint validates as identifiers: a refused value there is a refusal.</summary>
    private static readonly string[] IdFields = ["id", "siteId", "hostId", "workflow"];

    private readonly ApiDescription _api;
    private readonly FleetSeed _seed;

    public HostileRequests(ApiDescription api, FleetSeed seed)
    {
        _api = api;
        _seed = seed;
    }

    /// <summary>Requests for <paramref name="operation"/>; for a mutating one each carries at least one refusal.</summary>
    public Gen<HostileRequest> For(ApiOperation operation)
    {
        var refusals = Refusals(operation);
        if (operation.Mutating && refusals.Count == 0)
        {
            throw new InvalidOperationException($"{operation} changes state but has nothing a hostile request could be refused for: teach HostileRequests one.");
        }

        var refusal = operation.Mutating ? Gen.OneOf(refusals.ToArray()).Select(r => (string?)r) : Gen.Const((string?)null);
        return Gen.Select(refusal, Auth, Gen.OneOf(Accepts), Gen.Int[0, int.MaxValue])
            .SelectMany(t => Gen.Select(Path(operation, t.Item1, t.Item4), Query(operation), Key(operation, t.Item1), Body(operation, t.Item1), (path, query, key, body) =>
            {
                var headers = new List<KeyValuePair<string, string>>();
                if (t.Item3 is { } accept)
                {
                    headers.Add(new("Accept", accept));
                }

                if (key is not null)
                {
                    headers.Add(new("Idempotency-Key", key));
                }

                return new HostileRequest(operation, t.Item2, path.Target + query, headers, body.Text, body.Raw, body.ContentType, t.Item1) { Routable = path.Routable };
            }));
    }

    /// <summary>More of the callers who reach the endpoints' code (valid tokens), but every kind of forger too.</summary>
    private static Gen<AuthKind> Auth { get; } = Gen.Frequency(
        (2, Gen.Const(AuthKind.None)), (1, Gen.Const(AuthKind.Garbage)), (1, Gen.Const(AuthKind.WrongKey)), (1, Gen.Const(AuthKind.AlgNone)),
        (1, Gen.Const(AuthKind.Tampered)), (1, Gen.Const(AuthKind.Expired)), (1, Gen.Const(AuthKind.WrongAudience)), (1, Gen.Const(AuthKind.NoRole)),
        (2, Gen.Const(AuthKind.Read)), (3, Gen.Const(AuthKind.Operate)), (4, Gen.Const(AuthKind.Admin)));

    private static Gen<string> AnyString { get; } = Gen.Frequency(
        (6, Gen.OneOf(Strings)),
        (2, Gen.String[0, 30]),
        (1, Gen.Select(Gen.OneOf(Strings), Gen.OneOf(Strings), (a, b) => a + b)));

    private static List<string> Refusals(ApiOperation operation)
    {
        var refusals = new List<string>();
        if (operation.InPath.Any())
        {
            refusals.Add("path");
        }

        if (operation.JsonBody)
        {
            refusals.AddRange(["json", "charset"]);
        }

        if (operation.BodyContentType is not null && !operation.JsonBody)
        {
            refusals.Add("not-an-apk");
        }

        if (operation.TakesIdempotencyKey)
        {
            refusals.Add("idempotency-key");
        }

        return refusals;
    }

    private Gen<(string Target, bool Routable)> Path(ApiOperation operation, string? refusal, int pick)
    {
        var parameters = operation.InPath.ToList();
        var refused = refusal == "path" ? parameters[pick % parameters.Count].Name : null;
        var path = Gen.Const((Target: operation.Path, Routable: true));
        foreach (var parameter in parameters)
        {
            var value = parameter.Name == refused
                ? Refused(parameter)
                : Gen.Frequency((2, Plausible(parameter)), (1, AnyValue(parameter).Where(v => v is not ("." or "..") && !v.Contains('\0', StringComparison.Ordinal))));
            path = Gen.Select(path, value, (p, v) => (p.Target.Replace("{" + parameter.Name + "}", Uri.EscapeDataString(Scalar(v)), StringComparison.Ordinal), p.Routable && v.Length > 0));
        }

        return path;
    }

    private Gen<string> Plausible(ApiParameter parameter) => parameter.Name switch
    {
        "siteId" => Gen.Const(_seed.Site),
        "hostId" => Gen.Const(_seed.Host),
        "index" => Gen.Int[0, _seed.Emulators - 1].Select(i => i.ToString(CultureInfo.InvariantCulture)),
        "workflow" => Gen.OneOf("launch", "quit", "reboot", "provision", "adb", "sequence"),
        "sha256" => Gen.Const(new string('0', 64)),
        _ when parameter.Name.EndsWith("Id", StringComparison.Ordinal) => Gen.Const(new string('0', 32)),
        _ => Gen.Const("x"),
    };

    private static Gen<string> Refused(ApiParameter parameter) => parameter switch
    {
        { Type: "integer" } => RefusedInteger(parameter),
        { Name: "siteId" } => Gen.OneOf([.. RefusedSegments, .. RefusedSiteIds]),
        _ => Gen.OneOf(RefusedSegments),
    };

    private static Gen<string> RefusedInteger(ApiParameter parameter)
    {
        var outOfRange = new List<string>(RefusedIntegers);
        if (parameter.Maximum is { } max)
        {
            outOfRange.Add((max + 1).ToString(CultureInfo.InvariantCulture));
        }

        if (parameter.Minimum is { } min)
        {
            outOfRange.Add((min - 1).ToString(CultureInfo.InvariantCulture));
        }

        return Gen.OneOf(outOfRange.ToArray());
    }

    /// <summary>
    /// Any hostile value of the parameter's type, acceptable or not. In the path neither "." nor ".." (the client resolves
    /// them away) nor a NUL, which Kestrel refuses before the app (HostileWalkTests.NulInThePath_IsRefusedByKestrelBeforeTheApp).
    /// </summary>
    private static Gen<string> AnyValue(ApiParameter parameter) => parameter switch
    {
        { Type: "integer" } => Gen.Frequency(
            (3, RefusedInteger(parameter)),
            (1, Gen.OneOf(OddIntegers)),
            (1, Gen.Int[(int)Math.Max(parameter.Minimum ?? int.MinValue, int.MinValue), (int)Math.Min(parameter.Maximum ?? int.MaxValue, int.MaxValue)].Select(i => i.ToString(CultureInfo.InvariantCulture))),
            (1, Gen.Long.Select(l => l.ToString(CultureInfo.InvariantCulture)))),
        { Format: "date" } => Gen.Frequency((2, Gen.OneOf(Dates)), (1, AnyString)),
        _ => AnyString,
    };

    private static Gen<string> Query(ApiOperation operation)
    {
        var pairs = Gen.Const(new List<string>());
        foreach (var parameter in operation.InQuery)
        {
            // Absent, once, or repeated (label repeats by design; the others must not mind).
            var values = Gen.Frequency((1, Gen.Const(Array.Empty<string>())), (3, AnyValue(parameter).Array[1]), (1, AnyValue(parameter).Array[2]));
            pairs = Gen.Select(pairs, values, (list, v) => list.Concat(v.Select(x => parameter.Name + "=" + Uri.EscapeDataString(Scalar(x)))).ToList());
        }

        // Now and then a parameter the operation does not have, shaped like an OData or prototype-pollution attempt.
        var extra = Gen.Frequency((4, Gen.Const((string?)null)), (1, Gen.OneOf<string?>("$filter=PartitionKey%20ne%20''", "__proto__[admin]=true", "pageSize", "=", "&&&", "a=%ZZ", "siteId=a&siteId=b")));
        return Gen.Select(pairs, extra, (list, x) => list.Concat(x is null ? [] : [x]).ToList())
            .Select(list => list.Count == 0 ? "" : "?" + string.Join('&', list));
    }

    private static Gen<string?> Key(ApiOperation operation, string? refusal) =>
        !operation.TakesIdempotencyKey ? Gen.Const((string?)null)
        : refusal == "idempotency-key" ? Gen.OneOf(RefusedKeys).Select(k => (string?)k)
        : Gen.Frequency(
            (3, Gen.Const((string?)null)),
            (1, Gen.Guid.Select(g => (string?)g.ToString())),
            (1, Gen.OneOf(OddKeys).Select(k => (string?)k)),
            (1, Gen.OneOf(RefusedKeys).Select(k => (string?)k)));

    private Gen<(string? Text, byte[]? Raw, string? ContentType)> Body(ApiOperation operation, string? refusal)
    {
        if (operation.BodyContentType is { } type && !operation.JsonBody)
        {
            // Raw uploads (APKs): never a ZIP archive of 22 bytes or more, under any content type.
            var bytes = Gen.Frequency(
                (1, Gen.Const(Encoding.ASCII.GetBytes("not a zip"))),
                (1, Gen.Const(new byte[] { 0x50, 0x4B, 0x03, 0x04 })),
                (2, Gen.Byte.Array[0, 21]),
                (2, Gen.Byte.Array[22, 4096].Select(b => b.Prepend((byte)'X').ToArray())));
            var types = Gen.OneOf<string?>(type, type, "application/octet-stream", "text/plain", "application/json", "application/zip", null);
            return Gen.Select(bytes, types, (b, t) => ((string?)null, (byte[]?)b, t));
        }

        if (!operation.JsonBody)
        {
            // No body documented: mostly none; sometimes one anyway, which must not matter.
            return operation.Mutating
                ? Gen.Frequency((3, Gen.Const(((string?)null, (byte[]?)null, (string?)null))), (1, Gen.Select(AnyJson(null), Gen.OneOf(JsonContentTypes), (b, t) => ((string?)b, (byte[]?)null, t))))
                : Gen.Const(((string?)null, (byte[]?)null, (string?)null));
        }

        var schema = operation.BodySchema;
        var text = refusal == "json"
            ? Gen.Frequency((20, Gen.OneOf(RefusedJson)), (1, Gen.Const(Oversize)))
            : AnyJson(schema);
        var contentType = refusal == "charset" ? Gen.OneOf(RefusedCharsets).Select(c => (string?)c) : Gen.OneOf(JsonContentTypes);
        return Gen.Select(text, contentType, (b, t) => ((string?)b, (byte[]?)null, t));
    }

    /// <summary>Any body: broken, of a wrong kind, or shaped like the schema with hostile values.</summary>
    private Gen<string> AnyJson(JsonElement? schema) => Gen.Frequency(
        (2, Gen.OneOf(RefusedJson)),
        (1, Gen.OneOf("null", "{}", "{\"__proto__\":{\"admin\":true}}", "{\"id\":\"a\",\"id\":\"b\"}")),
        (5, schema is { } s ? Shaped(s, 0) : Gen.Const("{}")));

    /// <summary>JSON of the schema's shape (object, array, map, string, number, enum) with hostile values in it.</summary>
    private Gen<string> Shaped(JsonElement schema, int depth)
    {
        schema = _api.Resolve(schema);
        if (depth > 4)
        {
            return Gen.OneOf("null", "{}", "\"\"", "0");
        }

        if (schema.TryGetProperty("enum", out var values))
        {
            var known = values.EnumerateArray().Select(v => v.GetRawText()).ToArray();
            return Gen.Frequency((2, Gen.OneOf(known)), (1, AnyString.Select(Literal)), (1, Gen.OneOf(known).Select(k => k.ToUpperInvariant())));
        }

        switch (ApiDescription.TypeOf(schema))
        {
            case "object" or null when schema.TryGetProperty("properties", out var properties):
                var fields = Gen.Const(new List<string>());
                foreach (var property in properties.EnumerateObject())
                {
                    // Id fields always come, with a refused value half the time; others come or not.
                    var id = depth == 0 && IdFields.Contains(property.Name);
                    var value = id ? Gen.Frequency((1, Gen.OneOf(RefusedSegments).Select(Literal)), (1, Shaped(property.Value, depth + 1))) : Shaped(property.Value, depth + 1);
                    var field = id ? value.Select(v => (string?)$"{Literal(property.Name)}:{v}") : Gen.Frequency((1, Gen.Const((string?)null)), (3, value.Select(v => (string?)$"{Literal(property.Name)}:{v}")));
                    fields = Gen.Select(fields, field, (list, f) => f is null ? list : [.. list, f]);
                }

                var unknown = Gen.Frequency((4, Gen.Const((string?)null)), (1, Gen.OneOf<string?>("\"admin\":true", "\"__proto__\":{\"x\":1}", "\"\":\"\"", "\"$type\":\"System.IO.FileInfo\"")));
                return Gen.Select(fields, unknown, (list, u) => "{" + string.Join(',', u is null ? list : [.. list, u]) + "}");
            case "object" or null when schema.TryGetProperty("additionalProperties", out var map) && map.ValueKind == JsonValueKind.Object:
                var entry = Gen.Select(AnyString, Shaped(map, depth + 1), (k, v) => $"{Literal(k)}:{v}");
                return Gen.Frequency((4, entry.Array[0, 4]), (1, entry.Array[30, 60])).Select(e => "{" + string.Join(',', e) + "}");
            case "array":
                var item = schema.TryGetProperty("items", out var items) ? Shaped(items, depth + 1) : AnyString.Select(Literal);
                return Gen.Frequency((4, item.Array[0, 3]), (1, item.Array[60, 120])).Select(a => "[" + string.Join(',', a) + "]");
            case "integer" or "number":
                return Gen.Frequency(
                    (2, Gen.OneOf("-1", "0", "2147483648", "-2147483649", "99999999999999999999", "1e309", "1.5", "-0")),
                    (1, Gen.OneOf("\"12\"", "\"many\"", "null", "true", "[1]", "{}")),
                    (1, Gen.Int.Select(i => i.ToString(CultureInfo.InvariantCulture))));
            case "boolean":
                return Gen.OneOf("true", "false", "\"yes\"", "1", "null");
            case "string":
                return Gen.Frequency((6, AnyString.Select(Literal)), (1, Gen.OneOf("123", "true", "null", "[]", "{}")));
            default:
                return Gen.Frequency((3, AnyString.Select(Literal)), (1, Gen.OneOf("123", "true", "null", "[]", "{}")));
        }
    }

    /// <summary>
    /// A JSON string literal written by hand: control characters and lone surrogates escaped as \uXXXX (a serializer
    /// would refuse to write them), everything else as the raw UTF-8 text.
    /// </summary>
    private static string Literal(string value)
    {
        var text = new StringBuilder("\"", value.Length + 2);
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' or '\u007f' or (>= '\uD800' and <= '\uDFFF') => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }

    /// <summary>UTF-16 that Uri.EscapeDataString can encode: a lone surrogate becomes U+FFFD, as it would on the wire.</summary>
    private static string Scalar(string value) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value));
}

/// <summary>The fleet the walk attacks: a site with a host and labelled emulators, so plausible path values resolve.</summary>
internal sealed record FleetSeed(string Site, string Host, int Emulators);
