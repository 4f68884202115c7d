namespace LdFleet.Functions.Audit;

internal static class AuditServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddFleetAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AuditStore>();
        return builder;
    }

    public static IApplicationBuilder UseFleetAudit(this IApplicationBuilder app) => app.UseMiddleware<AuditMiddleware>();
}
