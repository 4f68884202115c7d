using System.Globalization;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Protocol.Sites;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LdFleet.Functions.Operations;

/// <summary>Body of the per-emulator shortcut: only the workflow's parameters.</summary>
internal sealed record EmulatorActionBody(IReadOnlyDictionary<string, string>? Parameters);

internal static class OperationsEndpoints
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");

        api.MapPost("/operations", (OperationRequest? request, HttpContext http, OperationEngine engine, CancellationToken ct) =>
                StartAsync(request, http, engine, ct))
            .WithName("StartOperation");

        // The shortcut every dashboard button uses: POST .../emulators/3/launch, .../reboot, .../delete.
        api.MapPost("/sites/{siteId}/hosts/{hostId}/emulators/{index}/{workflow}",
                (string siteId, string hostId, string index, string workflow, EmulatorActionBody? body, HttpContext http, OperationEngine engine, CancellationToken ct) =>
                {
                    if (!int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed > OperationRequestValidator.MaxIndex)
                    {
                        return Task.FromResult<Results<AcceptedAtRoute<OperationView>, ValidationProblem>>(TypedResults.ValidationProblem(
                            new Dictionary<string, string[]> { ["index"] = [$"An emulator index is a whole number from 0 to {OperationRequestValidator.MaxIndex}."] },
                            type: ProblemTypes.Validation));
                    }

                    var request = new OperationRequest { Workflow = workflow, SiteId = siteId, HostId = hostId, Index = parsed, Parameters = body?.Parameters };
                    return StartAsync(request, http, engine, ct);
                })
            .WithName("StartEmulatorWorkflow");

        api.MapGet("/operations/{operationId}", GetAsync).WithName("GetOperation");
        api.MapGet("/operations", ListAsync).WithName("ListOperations");
        api.MapPost("/operations/{operationId}/cancel", CancelAsync).WithName("CancelOperation");
        return endpoints;
    }

    private static async Task<Results<AcceptedAtRoute<OperationView>, ValidationProblem>> StartAsync(
        OperationRequest? request, HttpContext http, OperationEngine engine, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON body is required."] }, type: ProblemTypes.Validation);
        }

        var errors = OperationRequestValidator.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, type: ProblemTypes.Validation);
        }

        var operation = await engine.StartAsync(request, new StartContext(CreatedBy: http.User.Identity?.Name), cancellationToken);
        return TypedResults.AcceptedAtRoute(OperationView.From(operation), "GetOperation", new { operationId = operation.Id });
    }

    private static async Task<Results<Ok<OperationView>, ProblemHttpResult>> GetAsync(string operationId, OperationEngine engine, CancellationToken cancellationToken)
    {
        // Ids are 32 hex characters; anything else cannot exist, and must not reach a table query.
        if (!OperationIds.IsWellFormed(operationId))
        {
            return NotFound(operationId);
        }

        var operation = await engine.GetAsync(operationId, cancellationToken);
        return operation is null ? NotFound(operationId) : TypedResults.Ok(OperationView.From(operation));
    }

    private static async Task<Results<Ok<PageView<OperationView>>, ValidationProblem>> ListAsync(
        string? siteId, string? status, string? workflow, string? batchId, DateTimeOffset? createdAfter, int? pageSize, string? continuationToken,
        OperationStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (siteId is not null && FleetIds.ValidateSiteId(siteId) is { } siteError)
        {
            errors["siteId"] = [siteError];
        }

        OperationStatus? parsedStatus = null;
        if (status is not null)
        {
            if (Enum.TryParse<OperationStatus>(status, ignoreCase: true, out var s) && Enum.IsDefined(s))
            {
                parsedStatus = s;
            }
            else
            {
                errors["status"] = [$"Unknown status; use one of {string.Join(", ", Enum.GetNames<OperationStatus>())}."];
            }
        }

        if (workflow is not null && !WorkflowCatalog.Exists(workflow))
        {
            errors["workflow"] = [$"Unknown workflow '{workflow}'."];
        }

        if (batchId is not null && !OperationIds.IsWellFormed(batchId))
        {
            errors["batchId"] = ["A batch id is 32 lowercase hex characters."];
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"Between 1 and {MaxPageSize}."];
        }

        if (continuationToken is { Length: > 2048 })
        {
            errors["continuationToken"] = ["Not a continuation token this API issued."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, type: ProblemTypes.Validation);
        }

        var page = await store.ListAsync(new OperationQuery(siteId, parsedStatus, workflow, batchId, createdAfter), pageSize ?? DefaultPageSize, continuationToken, cancellationToken);
        return TypedResults.Ok(new PageView<OperationView>([.. page.Items.Select(OperationView.From)], page.ContinuationToken));
    }

    private static async Task<Results<Accepted<OperationView>, ProblemHttpResult>> CancelAsync(string operationId, OperationEngine engine, CancellationToken cancellationToken)
    {
        if (!OperationIds.IsWellFormed(operationId))
        {
            return NotFound(operationId);
        }

        var (outcome, operation) = await engine.CancelAsync(operationId, null, cancellationToken);
        return outcome switch
        {
            ApplyOutcome.NotFound => NotFound(operationId),
            ApplyOutcome.Unchanged => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Operation already finished",
                detail: $"Operation '{operationId}' is {operation!.Status} and can no longer be cancelled.",
                type: ProblemTypes.Conflict),
            _ => TypedResults.Accepted($"/api/operations/{operationId}", OperationView.From(operation!)),
        };
    }

    internal static ProblemHttpResult NotFound(string operationId) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Operation not found",
            detail: $"There is no operation with id '{operationId}'.",
            type: ProblemTypes.NotFound);
}

/// <summary>A page of results and the token that fetches the next (absent on the last page).</summary>
internal sealed record PageView<T>(IReadOnlyList<T> Items, string? ContinuationToken);
