using System.Globalization;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Idempotency;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LdFleet.Functions.Operations;

internal static class OperationsEndpoints
{
    // LDPlayer indexes are small non-negative integers; 1000 has been seen in the wild, so allow headroom.
    private const int MaxIndex = 99_999;

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");

        api.MapPost("/sites/{siteId}/hosts/{hostId}/emulators/{index}/launch",
                (string siteId, string hostId, string index, OperationService service, CancellationToken ct) =>
                    StartAsync(siteId, hostId, index, EmulatorActions.Launch, service, ct))
            .WithName("LaunchEmulator")
            .RequireAuthorization(FleetPolicies.Operate)
            .WithIdempotencyKey();

        api.MapPost("/sites/{siteId}/hosts/{hostId}/emulators/{index}/quit",
                (string siteId, string hostId, string index, OperationService service, CancellationToken ct) =>
                    StartAsync(siteId, hostId, index, EmulatorActions.Quit, service, ct))
            .WithName("QuitEmulator")
            .RequireAuthorization(FleetPolicies.Operate)
            .WithIdempotencyKey();

        api.MapGet("/operations/{operationId}", GetAsync).WithName("GetOperation").RequireAuthorization(FleetPolicies.Read);
        return endpoints;
    }

    private static async Task<Results<AcceptedAtRoute<OperationView>, ValidationProblem>> StartAsync(
        string siteId, string hostId, string index, string action, OperationService service, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (FleetIds.ValidateSiteId(siteId) is { } siteError)
        {
            errors["siteId"] = [siteError];
        }

        if (FleetIds.ValidateHostId(hostId) is { } hostError)
        {
            errors["hostId"] = [hostError];
        }

        if (!int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var parsedIndex) || parsedIndex > MaxIndex)
        {
            errors["index"] = [$"An emulator index is a whole number from 0 to {MaxIndex}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, type: ProblemTypes.Validation);
        }

        var operation = await service.StartAsync(new StartEmulatorAction(siteId, hostId, parsedIndex, action), cancellationToken);
        return TypedResults.AcceptedAtRoute(OperationView.From(operation), "GetOperation", new { operationId = operation.Id });
    }

    private static async Task<Results<Ok<OperationView>, ProblemHttpResult>> GetAsync(string operationId, OperationService service, CancellationToken cancellationToken)
    {
        // Ids are 32 hex characters; anything else cannot exist, and must not reach a table query.
        if (operationId.Length != 32 || !operationId.All(char.IsAsciiHexDigitLower))
        {
            return NotFound(operationId);
        }

        var operation = await service.GetAsync(operationId, cancellationToken);
        return operation is null ? NotFound(operationId) : TypedResults.Ok(OperationView.From(operation));
    }

    private static ProblemHttpResult NotFound(string operationId) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Operation not found",
            detail: $"There is no operation with id '{operationId}'.",
            type: ProblemTypes.NotFound);
}
