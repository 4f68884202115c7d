using System.Text.Json.Serialization;

namespace LdFleet.Functions.Api;

internal static class ApiServiceCollectionExtensions
{
    public static WebApplicationBuilder AddFleetApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(options =>
        {
            options.CustomizeProblemDetails = context =>
            {
                // Every problem names a stable type, including the ones the framework produces (404 routes, 500s).
                context.ProblemDetails.Type ??= context.ProblemDetails.Status switch
                {
                    StatusCodes.Status404NotFound => ProblemTypes.NotFound,
                    >= 500 => ProblemTypes.Unexpected,
                    _ => context.ProblemDetails.Type,
                };
                context.ProblemDetails.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
            };
        });
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddHealthChecks();
        return builder;
    }

    public static WebApplication UseFleetApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthChecks("/health/live");
        return app;
    }
}
