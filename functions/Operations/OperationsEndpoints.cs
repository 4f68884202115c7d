using System.Globalization;
using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Idempotency;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Protocol.Commands;
using LdFleet.Protocol.Sites;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LdFleet.Functions.Operations;

/// <summary>Body of the per-emulator shortcut: only the workflow's parameters.</summary>
internal sealed record EmulatorActionBody(IReadOnlyDictionary<string, string>? Parameters);

internal static class OperationsEndpoints
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");

        api.MapPost("/operations", (OperationRequest? request, HttpContext http, OperationService operations, ApiLinks links, CancellationToken ct) =>
                StartAsync(request, http, operations, links, ct))
            .WithName("StartOperation")
            .WithTags(ApiTags.Operations)
            .WithSummary("Start an operation")
            .WithDescription("Starts a workflow (or a sequence of steps) on one emulator and answers 202 with the operation and its Location; poll it until it ends. Raw adb commands need Fleet.Admin (403 otherwise).")
            .RequireAuthorization(FleetPolicies.Operate)
            .WithIdempotencyKey();

        // The shortcut every dashboard button uses: POST .../emulators/3/launch, .../reboot, .../delete.
        api.MapPost("/sites/{siteId}/hosts/{hostId}/emulators/{index}/{workflow}",
                (string siteId, string hostId, string index, string workflow, EmulatorActionBody? body, HttpContext http, OperationService operations, ApiLinks links, CancellationToken ct) =>
                {
                    if (!int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed > OperationRequestValidator.MaxIndex)
                    {
                        return Task.FromResult<Results<Accepted<OperationView>, ValidationProblem, ProblemHttpResult>>(TypedResults.ValidationProblem(
                            new Dictionary<string, string[]> { ["index"] = [$"An emulator index is a whole number from 0 to {OperationRequestValidator.MaxIndex}."] },
                            type: ProblemTypes.Validation));
                    }

                    var request = new OperationRequest { Workflow = workflow, SiteId = siteId, HostId = hostId, Index = parsed, Parameters = body?.Parameters };
                    return StartAsync(request, http, operations, links, ct);
                })
            .WithName("StartEmulatorWorkflow")
            .WithTags(ApiTags.Emulators)
            .WithSummary("Start a workflow on an emulator")
            .WithDescription("The shortcut for POST /api/operations with the emulator in the path: .../emulators/3/launch, .../quit, .../rename with optional parameters in the body. Answers 202 with the operation and its Location.")
            .RequireAuthorization(FleetPolicies.Operate)
            .WithIdempotencyKey();

        // The manager's per-workstation "test connection": a short diagnostic operation on the site's relay.
        api.MapPost("/sites/{siteId}/hosts/{hostId}/test-connection", TestConnectionAsync)
            .WithName("TestHostConnection")
            .RequireAuthorization(FleetPolicies.Operate)
            .WithTags(ApiTags.Hosts)
            .WithSummary("Test the connection to a host")
            .WithDescription("Tests the relay's connection to a host: reach, ldconsole, list2, with the time of each stage. Runs a testconnection operation. 200 with the ended operation when it ends within Api:TestConnectionWait (10 s by default), else 202 with its Location. The stages are in the step's data (stage.reach.ok, stage.list2.emulators, ...).");

        api.MapGet("/operations/{operationId}", GetAsync).WithName("GetOperation").RequireAuthorization(FleetPolicies.Read)
            .WithTags(ApiTags.Operations)
            .WithSummary("Get an operation")
            .WithDescription("The operation with its status, each step's outcome and data, and its error when it failed.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/operations", ListAsync).WithName("ListOperations").RequireAuthorization(FleetPolicies.Read)
            .WithTags(ApiTags.Operations)
            .WithSummary("List operations")
            .WithDescription("Operations, newest first, filtered by site, status, workflow, batch and creation time, a page at a time.")
            .ProducesValidationProblem();
        api.MapPost("/operations/{operationId}/cancel", CancelAsync).WithName("CancelOperation").RequireAuthorization(FleetPolicies.Operate)
            .WithTags(ApiTags.Operations)
            .WithSummary("Cancel an operation")
            .WithDescription("Asks the operation to stop: 202 while it winds down; 409 when it has already ended.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    /// <summary>Raw adb shell commands can do anything on the emulator: they need Fleet.Admin, not just Operate.</summary>
    internal static bool NeedsAdmin(string workflow, IEnumerable<SequenceStep>? steps) =>
        workflow == EmulatorActions.Adb || steps?.Any(s => s?.Action == EmulatorActions.Adb) == true;

    internal static ProblemHttpResult AdminRequired() =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status403Forbidden,
            title: "Fleet.Admin required",
            detail: "Raw adb commands need the Fleet.Admin role.",
            type: ProblemTypes.Forbidden);

    private static async Task<Results<Accepted<OperationView>, ValidationProblem, ProblemHttpResult>> StartAsync(
        OperationRequest? request, HttpContext http, OperationService operations, ApiLinks links, CancellationToken cancellationToken)
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

        var caller = FleetCaller.From(http.User);
        if (NeedsAdmin(request.Workflow, request.Steps) && !caller.Roles.Contains(FleetRoles.Admin))
        {
            return AdminRequired();
        }

        var operation = await operations.StartAsync(request, caller.Name, cancellationToken);
        return TypedResults.Accepted(links.To("GetOperation", new { operationId = operation.Id }), operation);
    }

    private static async Task<Results<Ok<OperationView>, Accepted<OperationView>, ValidationProblem>> TestConnectionAsync(
        string siteId, string hostId, HttpContext http, OperationService operations, Microsoft.Extensions.Options.IOptions<ApiOptions> api, ApiLinks links, CancellationToken cancellationToken)
    {
        var request = new OperationRequest { Workflow = EmulatorActions.TestConnection, SiteId = siteId, HostId = hostId };
        var errors = OperationRequestValidator.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, type: ProblemTypes.Validation);
        }

        var started = await operations.StartAsync(request, FleetCaller.From(http.User).Name, cancellationToken);
        var ended = await operations.WaitForEndAsync(started.Id, api.Value.TestConnectionWait, cancellationToken);
        return ended is not null
            ? TypedResults.Ok(ended)
            : TypedResults.Accepted(links.To("GetOperation", new { operationId = started.Id }), started);
    }

    private static async Task<Results<Ok<OperationView>, ProblemHttpResult>> GetAsync(string operationId, OperationService operations, CancellationToken cancellationToken)
    {
        // Ids are 32 hex characters; anything else cannot exist, and must not reach a table query.
        if (!OperationIds.IsWellFormed(operationId))
        {
            return NotFound(operationId);
        }

        var operation = await operations.GetAsync(operationId, cancellationToken);
        return operation is null ? NotFound(operationId) : TypedResults.Ok(operation);
    }

    private static async Task<Results<LdFleet.Functions.Api.PagedResult<OperationView>, ProblemHttpResult>> ListAsync(
        string? siteId, string? status, string? workflow, string? batchId, DateTimeOffset? createdAfter, string? pageSize, string? continuationToken,
        OperationService operations, CancellationToken cancellationToken)
    {
        var errors = new LdFleet.Functions.Api.FieldErrors();
        if (siteId is not null)
        {
            errors.Check("siteId", FleetIds.ValidateSiteId(siteId));
        }

        OperationStatus? parsedStatus = null;
        if (status is not null)
        {
            if (Enum.TryParse<OperationStatus>(status, ignoreCase: true, out var s) && Enum.IsDefined(s) && !int.TryParse(status, out _))
            {
                parsedStatus = s;
            }
            else
            {
                errors.Add("status", $"Unknown status; use one of {string.Join(", ", Enum.GetNames<OperationStatus>())}.");
            }
        }

        if (workflow is not null && !WorkflowCatalog.Exists(workflow))
        {
            errors.Add("workflow", $"Unknown workflow '{workflow}'.");
        }

        if (batchId is not null && !OperationIds.IsWellFormed(batchId))
        {
            errors.Add("batchId", "A batch id is 32 lowercase hex characters.");
        }

        var page = LdFleet.Functions.Api.PageRequest.Parse(pageSize, continuationToken, OperationStore.PagingScope, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        return new LdFleet.Functions.Api.PagedResult<OperationView>(await operations.ListAsync(new OperationQuery(siteId, parsedStatus, workflow, batchId, createdAfter), page, cancellationToken));
    }

    private static async Task<Results<Accepted<OperationView>, ProblemHttpResult>> CancelAsync(string operationId, OperationService operations, ApiLinks links, CancellationToken cancellationToken)
    {
        if (!OperationIds.IsWellFormed(operationId))
        {
            return NotFound(operationId);
        }

        var (outcome, operation) = await operations.CancelAsync(operationId, null, cancellationToken);
        return outcome switch
        {
            CancelOutcome.NotFound => NotFound(operationId),
            CancelOutcome.AlreadyEnded => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Operation already finished",
                detail: $"Operation '{operationId}' is {operation!.Status} and can no longer be cancelled.",
                type: ProblemTypes.Conflict),
            _ => TypedResults.Accepted(links.To("GetOperation", new { operationId }), operation!),
        };
    }

    internal static ProblemHttpResult NotFound(string operationId) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Operation not found",
            detail: $"There is no operation with id '{operationId}'.",
            type: ProblemTypes.NotFound);
}
