using System.Globalization;
using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LdFleet.Functions.Audit;

/// <summary>An audit row as the API shows it.</summary>
internal sealed record AuditEntryView(DateTimeOffset At, string CallerId, string CallerName, IReadOnlyList<string> Roles, string Action, string Method, string Path, string Target, int Status, string Outcome, string TraceId, string? IdempotencyKey);

internal static class AuditEndpoints
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/audit", ListAsync)
            .WithName("ListAudit")
            .WithTags(ApiTags.Audit)
            .WithSummary("List audit entries")
            .WithDescription("Mutating calls of one UTC day (?day=yyyy-MM-dd, today by default), newest first, optionally of one caller or action, with their outcome.")
            .ProducesValidationProblem()
            .RequireAuthorization(FleetPolicies.Admin);
        return endpoints;
    }

    private static async Task<Results<PagedResult<AuditEntryView>, ProblemHttpResult>> ListAsync(
        string? day, string? callerId, string? action, string? pageSize, string? continuationToken, AuditStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var date = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (day is not null && !DateOnly.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            errors.Add("day", "day is a UTC date as yyyy-MM-dd.");
        }

        errors.Check("callerId", callerId is { Length: 0 or > 256 } ? "callerId is 1 to 256 characters." : null);
        errors.Check("action", action is { Length: 0 or > 128 } ? "action is 1 to 128 characters." : null);
        var page = PageRequest.Parse(pageSize, continuationToken, AuditStore.PagingScope, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var result = await store.ListAsync(date, callerId, action, page, cancellationToken);
        return new PagedResult<AuditEntryView>(new ListPage<AuditEntryView>(
            result.Items.Select(e => new AuditEntryView(e.At, e.CallerId, e.CallerName, e.Roles, e.Action, e.Method, e.Path, e.Target, e.Status, e.Outcome, e.TraceId, e.IdempotencyKey)).ToList(),
            result.Next));
    }
}
