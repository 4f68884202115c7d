using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Idempotency;
using Microsoft.AspNetCore.Authorization;
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

/// <summary>The OpenAPI document, generated from the endpoints themselves, with each operation's required role.</summary>
internal static class OpenApiSetup
{
    private const string SchemeName = "bearer";

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
                };
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

                if (metadata.OfType<IAllowAnonymous>().Any())
                {
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
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = IdempotencyFilter.MaxKeyLength },
                    });
                }

                var policy = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] }];
                if (policy is not null)
                {
                    operation.Description = (operation.Description is null ? "" : operation.Description + "\n\n") + $"Requires the app role {policy} or a higher one.";
                }

                operation.Responses ??= new OpenApiResponses();
                operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No valid bearer token (problem+json)." });
                operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The token lacks the required app role (problem+json)." });
                operation.Responses.TryAdd("429", new OpenApiResponse { Description = "Rate limited; see Retry-After (problem+json)." });
            });
        });
        return services;
    }
}
