using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Idempotency;
using System.Globalization;
using System.Text.Json.Nodes;
using LdFleet.Functions.Inventory;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace LdFleet.Functions.Api;

/// <summary>
/// Documents an endpoint's request body. Not <c>Accepts()</c>: that makes routing refuse other content types
/// with a 415 before authorization runs, telling unauthenticated callers which endpoints exist.
/// </summary>
internal sealed record RequestBodyMetadata(Type Type, string ContentType);

internal static class RequestBodyExtensions
{
    public static RouteHandlerBuilder WithRequestBody<T>(this RouteHandlerBuilder builder, string contentType = "application/json") =>
        builder.WithMetadata(new RequestBodyMetadata(typeof(T), contentType));
}

/// <summary>
/// The resource groups of the API as the OpenAPI document shows them. Every operation names one with
/// <c>WithTags</c>; without it the generator falls back to the C# class or assembly name (<c>OperationsEndpoints</c>,
/// <c>LdFleet.Functions</c>), which means nothing to a client.
/// </summary>
internal static class ApiTags
{
    public const string Sites = "Sites";
    public const string Hosts = "Hosts";
    public const string Emulators = "Emulators";
    public const string Operations = "Operations";
    public const string Batches = "Batches";
    public const string Apps = "Apps";
    public const string Audit = "Audit";
    public const string Health = "Health";

    /// <summary>Each tag with its document-level description, in the order the document lists them.</summary>
    public static readonly IReadOnlyList<(string Name, string Description)> All =
    [
        (Sites, "A site is one location with one relay agent. Register sites, issue their relay credentials and read their relay's heartbeat."),
        (Hosts, "The Windows machines of a site that run LDPlayer: registered (address, kind, capacity) and as the relay last reported them."),
        (Emulators, "The emulators of the fleet as the relays last listed them, their labels, and workflows started on one emulator."),
        (Operations, "A workflow run on one emulator (launch, quit, rename, install an app, ...), tracked until it ends; cancellable."),
        (Batches, "One workflow over many emulators chosen by a selector, with limits on concurrency and on failures."),
        (Apps, "APKs uploaded once and referred to by their SHA-256 in workflows."),
        (Audit, "Every mutating call with its caller and outcome, by UTC day."),
        (Health, "Liveness and readiness probes for load balancers and orchestrators; anonymous and not rate limited."),
    ];
}

/// <summary>
/// The OpenAPI document, generated from the endpoints themselves. Each endpoint carries its own summary, description,
/// tag and the problems only it produces (404, 409, ...); the transformers here add what the pipeline in front of every
/// endpoint produces, read from the endpoint's metadata, so it cannot drift per endpoint: the required role and
/// 401/403 (unless anonymous), 429 (unless rate limiting is off), 503 (storage or messaging down), 400/413/415 for
/// request bodies (malformed JSON, Kestrel's body limit, <see cref="JsonCharsetMiddleware"/>), 400/409/422 for
/// Idempotency-Key, and every problem with its problem+json schema.
/// </summary>
internal static class OpenApiSetup
{
    private const string SchemeName = "bearer";
    private const string ProblemContentType = "application/problem+json";
    private const string ProblemSchema = nameof(ProblemDetails);
    private const string ValidationProblemSchema = nameof(HttpValidationProblemDetails);

    public static IServiceCollection AddFleetOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "LdFleet API",
                    Version = "v1",
                    Description = "Control plane for LDPlayer emulator farms. Errors are application/problem+json with a stable `type`; "
                        + "listings page with `pageSize` and `continuationToken` (the next token comes in the `Continuation-Token` header and a `Link: rel=\"next\"`); "
                        + "POSTs that start operations accept an `Idempotency-Key` header.",
                    Contact = new OpenApiContact { Name = "LdFleet" },

                    // The repository has no LICENSE file: the code is not offered under an open licence. SPDX names such a
                    // licence with a LicenseRef- identifier (OpenAPI 3.1 license.identifier), which the linters accept
                    // where a bare name is a warning.
                    License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" },
                };

                // The generator writes the request's base address with a trailing slash, which joined to a path that
                // starts with one doubles it.
                foreach (var server in document.Servers ?? [])
                {
                    server.Url = server.Url?.TrimEnd('/') is { Length: > 0 } url ? url : "/";
                }

                // Only the tags the operations use, each described; the generator lists bare names.
                var used = (document.Paths ?? []).Values
                    .SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
                    .SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
                    .Select(t => t.Name)
                    .ToHashSet(StringComparer.Ordinal);
                document.Tags = new HashSet<OpenApiTag>(ApiTags.All.Where(t => used.Contains(t.Name)).Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));

                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = $"An Entra ID access token for the API with an app role: {string.Join(", ", FleetRoles.All)} (each includes the ones before it).",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(async (operation, context, cancellationToken) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<RequestBodyMetadata>().FirstOrDefault() is { } body)
                {
                    var schema = body.Type == typeof(Stream)
                        ? new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" }
                        : await context.GetOrCreateSchemaAsync(body.Type, cancellationToken: cancellationToken);
                    operation.RequestBody = new OpenApiRequestBody { Required = true, Content = new Dictionary<string, OpenApiMediaType> { [body.ContentType] = new() { Schema = schema } } };
                }

                TypeParameters(operation);

                var problems = new ProblemResponses(operation, await SchemaAsync(context, typeof(ProblemDetails), ProblemSchema, cancellationToken), await SchemaAsync(context, typeof(HttpValidationProblemDetails), ValidationProblemSchema, cancellationToken));
                problems.Normalize();

                if (operation.RequestBody is not null)
                {
                    problems.Add(StatusCodes.Status400BadRequest, "The body or a parameter is invalid: `errors` names each field.", validation: true);
                    problems.Add(StatusCodes.Status413PayloadTooLarge, "The body exceeds the request size limit.");
                    problems.Add(StatusCodes.Status415UnsupportedMediaType, "The body is not of the documented media type, or its charset is not UTF-8.");
                }

                if (metadata.OfType<IAllowAnonymous>().Any())
                {
                    // An empty requirement says "no authentication" explicitly, where no security at all reads as forgotten.
                    operation.Security = [new OpenApiSecurityRequirement()];
                    return;
                }

                if (metadata.OfType<IdempotencyKeyMetadata>().Any())
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = IdempotencyFilter.HeaderName,
                        In = ParameterLocation.Header,
                        Required = false,
                        Description = "Makes retries safe: a repeated request with the same key returns the first answer instead of starting another operation (kept 24 h; the same key with a different request is a 422).",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyFilter.MaxKeyLength },
                    });
                    problems.Add(StatusCodes.Status400BadRequest, "The body, a parameter or the Idempotency-Key is invalid: `errors` names each field.", validation: true);
                    problems.Add(StatusCodes.Status409Conflict, "A request with this Idempotency-Key is still in progress; retry shortly for its answer.");
                    problems.Add(StatusCodes.Status422UnprocessableEntity, "This Idempotency-Key was used with a different request.");
                }

                var policy = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] }];
                if (policy is not null)
                {
                    operation.Description = (operation.Description is null ? "" : operation.Description + "\n\n") + $"Requires the app role {policy} or a higher one.";
                }

                problems.Add(StatusCodes.Status401Unauthorized, "No valid bearer token.");
                problems.Add(StatusCodes.Status403Forbidden, "The token lacks the required app role.");
                if (!metadata.OfType<DisableRateLimitingAttribute>().Any())
                {
                    problems.Add(StatusCodes.Status429TooManyRequests, "This caller's request rate is limited; retry after the seconds in Retry-After.");
                }

                // Every authenticated endpoint reads or writes storage (FleetExceptionHandler).
                problems.Add(StatusCodes.Status503ServiceUnavailable, "A storage or messaging dependency is unavailable; retry later.");
            });
        });
        return services;
    }

    /// <summary>
    /// Query and route values the handlers take as strings, so that a malformed value is a 400 naming the field
    /// rather than the binder's bare failure, documented with the type and range they are validated against.
    /// </summary>
    private static void TypeParameters(OpenApiOperation operation)
    {
        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
        {
            parameter.Schema = parameter.Name switch
            {
                "pageSize" when parameter.In == ParameterLocation.Query => new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer,
                    Format = "int32",
                    Minimum = "1",
                    Maximum = PageRequest.MaxPageSize.ToString(CultureInfo.InvariantCulture),
                    Default = JsonValue.Create(PageRequest.DefaultPageSize),
                },
                "index" when parameter.In == ParameterLocation.Path => new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer,
                    Format = "int32",
                    Minimum = "0",
                    Maximum = EmulatorIndex.Max.ToString(CultureInfo.InvariantCulture),
                },
                "day" when parameter.In == ParameterLocation.Query => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" },
                _ => parameter.Schema,
            };
        }
    }

    /// <summary>The problem schemas as components, so every problem response refers to the same two.</summary>
    private static async Task<IOpenApiSchema> SchemaAsync(OpenApiOperationTransformerContext context, Type type, string id, CancellationToken cancellationToken)
    {
        var document = context.Document!;
        if (document.Components?.Schemas?.ContainsKey(id) != true)
        {
            document.AddComponent(id, await context.GetOrCreateSchemaAsync(type, cancellationToken: cancellationToken));
        }

        return new OpenApiSchemaReference(id, document);
    }

    /// <summary>An operation's error responses, each application/problem+json with the problem schema.</summary>
    private sealed class ProblemResponses(OpenApiOperation operation, IOpenApiSchema problem, IOpenApiSchema validationProblem)
    {
        private OpenApiResponses Responses => operation.Responses ??= [];

        /// <summary>
        /// The endpoints' own 4xx/5xx (ProducesProblem, typed results) are given a sentence for a description and the
        /// problem schema as problem+json. An error response documented with another body (the readiness probe's 503
        /// is its health report) is left as it is.
        /// </summary>
        public void Normalize()
        {
            foreach (var (status, response) in Responses.Where(r => r.Key[0] is '4' or '5').ToList())
            {
                if (response.Content is { Count: > 0 } content && !content.ContainsKey(ProblemContentType))
                {
                    if (response is OpenApiResponse own)
                    {
                        own.Description = Describe(status, own.Description);
                    }

                    continue;
                }

                var validation = status == "400";
                Responses[status] = Problem(Describe(status, response.Description), validation);
            }
        }

        public void Add(int status, string description, bool validation = false)
        {
            var key = status.ToString(CultureInfo.InvariantCulture);
            if (!Responses.ContainsKey(key) || IsBareReason(key, Responses[key].Description))
            {
                Responses[key] = Problem(description, validation);
            }
        }

        private OpenApiResponse Problem(string description, bool validation) => new()
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { [ProblemContentType] = new() { Schema = validation ? validationProblem : problem } },
        };

        /// <summary>The generator's description is the bare reason phrase ("Not Found"); a sentence says more.</summary>
        private static string Describe(string status, string? description) =>
            IsBareReason(status, description) ? status switch
            {
                "400" => "A parameter or the body is invalid: `errors` names each field.",
                "404" => "The resource does not exist.",
                "409" => "The request conflicts with the resource's state.",
                "503" => "A dependency is unavailable; retry later.",
                _ => ReasonPhrases.GetReasonPhrase(int.Parse(status, CultureInfo.InvariantCulture)) + ".",
            } : description!;

        private static bool IsBareReason(string status, string? description) =>
            string.IsNullOrEmpty(description) || description == ReasonPhrases.GetReasonPhrase(int.Parse(status, CultureInfo.InvariantCulture));
    }
}
