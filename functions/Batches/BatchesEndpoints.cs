using LdFleet.Functions.Api;
using LdFleet.Functions.Api.Security;
using LdFleet.Functions.Idempotency;
using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Workflows;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LdFleet.Functions.Batches;

/// <summary>A batch as the API shows it.</summary>
internal sealed record BatchView(
    string Id,
    string Workflow,
    IReadOnlyDictionary<string, string> Parameters,
    BatchStatus Status,
    int Total,
    BatchCounts Counts,
    string MaxConcurrency,
    string MaxConcurrencyPerHost,
    string MaxErrors,
    bool CancelRequested,
    string? StopReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    string? CreatedBy)
{
    public static BatchView From(Batch b) => new(
        b.Id, b.Workflow, b.Parameters, b.Status, b.Total, b.Counts, b.MaxConcurrency.ToString(), b.MaxConcurrencyPerHost.ToString(), b.MaxErrors.ToString(),
        b.CancelRequested, b.StopReason, b.CreatedAt, b.UpdatedAt, b.CompletedAt, b.CreatedBy);
}

internal static class BatchesEndpoints
{
    public static IEndpointRouteBuilder MapBatchesApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/batches").WithTags(ApiTags.Batches);
        api.MapPost("", StartAsync).WithName("StartBatch").RequireAuthorization(FleetPolicies.Operate).WithIdempotencyKey()
            .WithSummary("Start a batch")
            .WithDescription("Runs one workflow on every emulator the selector matches (at most " + TargetResolver.MaxTargets.ToString(System.Globalization.CultureInfo.InvariantCulture) + "), with limits on concurrency overall and per host and on failures before it stops. Answers 202 with the batch and its Location. Raw adb commands need Fleet.Admin (403 otherwise).");
        api.MapGet("/{batchId}", GetAsync).WithName("GetBatch").RequireAuthorization(FleetPolicies.Read)
            .WithSummary("Get a batch")
            .WithDescription("The batch with its status and the counts of its items by outcome.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{batchId}/items", ItemsAsync).WithName("ListBatchItems").RequireAuthorization(FleetPolicies.Read)
            .WithSummary("List a batch's items")
            .WithDescription("One item per targeted emulator with its operation and outcome, a page at a time.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{batchId}/cancel", CancelAsync).WithName("CancelBatch").RequireAuthorization(FleetPolicies.Operate)
            .WithSummary("Cancel a batch")
            .WithDescription("Stops starting new items and cancels the running ones; 202 with the batch.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static async Task<Results<Accepted<BatchView>, ValidationProblem, ProblemHttpResult>> StartAsync(
        BatchRequest? request, HttpContext http, TargetResolver resolver, BatchService batches, ApiLinks links, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON body is required."] }, type: ProblemTypes.Validation);
        }

        var errors = TargetResolver.Validate(request.Selector);

        // The workflow and its parameters are checked as they will be for each child (site/host/index are the targets').
        var sample = new OperationRequest { Workflow = request.Workflow, SiteId = "site", HostId = "host", Index = 0, Parameters = request.Parameters, Steps = request.Steps };
        foreach (var (field, messages) in OperationRequestValidator.Validate(sample))
        {
            errors[field] = messages;
        }

        if (!Limit.TryParse(request.MaxConcurrency, allowZero: false, out _))
        {
            errors["maxConcurrency"] = ["A whole number above 0, or a percentage such as \"10%\"."];
        }

        if (!Limit.TryParse(request.MaxConcurrencyPerHost, allowZero: false, out _))
        {
            errors["maxConcurrencyPerHost"] = ["A whole number above 0, or a percentage such as \"50%\"."];
        }

        if (!Limit.TryParse(request.MaxErrors, allowZero: true, out _))
        {
            errors["maxErrors"] = ["A whole number (0 stops at the first failure), or a percentage such as \"5%\"."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, type: ProblemTypes.Validation);
        }

        var caller = FleetCaller.From(http.User);
        if (OperationsEndpoints.NeedsAdmin(request.Workflow, request.Steps) && !caller.Roles.Contains(FleetRoles.Admin))
        {
            return OperationsEndpoints.AdminRequired();
        }

        var items = await resolver.ResolveAsync(request.Selector, cancellationToken);
        if (items.Count == 0 || items.Count > TargetResolver.MaxTargets)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["selector"] = [items.Count == 0 ? "The selector matched no emulators." : $"The selector matched more than {TargetResolver.MaxTargets} emulators; narrow it or split the batch."] },
                type: ProblemTypes.Validation);
        }

        var batch = await batches.CreateAsync(request, items, caller.Name, cancellationToken);
        return TypedResults.Accepted(links.To("GetBatch", new { batchId = batch.Id }), BatchView.From(batch));
    }

    private static async Task<Results<Ok<BatchView>, ProblemHttpResult>> GetAsync(string batchId, BatchService batches, CancellationToken cancellationToken)
    {
        var batch = OperationIds.IsWellFormed(batchId) ? await batches.GetAsync(batchId, cancellationToken) : null;
        return batch is null ? NotFound(batchId) : TypedResults.Ok(BatchView.From(batch));
    }

    private static async Task<Results<LdFleet.Functions.Api.PagedResult<BatchItem>, ProblemHttpResult>> ItemsAsync(
        string batchId, string? pageSize, string? continuationToken, BatchService batches, CancellationToken cancellationToken)
    {
        var errors = new LdFleet.Functions.Api.FieldErrors();
        var page = LdFleet.Functions.Api.PageRequest.Parse(pageSize, continuationToken, BatchStore.PagingScope, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        if (!OperationIds.IsWellFormed(batchId) || await batches.GetAsync(batchId, cancellationToken) is null)
        {
            return NotFound(batchId);
        }

        return new LdFleet.Functions.Api.PagedResult<BatchItem>(await batches.ListItemsAsync(batchId, page, cancellationToken));
    }

    private static async Task<Results<Accepted<BatchView>, ProblemHttpResult>> CancelAsync(string batchId, BatchService batches, ApiLinks links, CancellationToken cancellationToken)
    {
        var batch = OperationIds.IsWellFormed(batchId) ? await batches.CancelAsync(batchId, cancellationToken) : null;
        return batch is null ? NotFound(batchId) : TypedResults.Accepted(links.To("GetBatch", new { batchId }), BatchView.From(batch));
    }

    private static ProblemHttpResult NotFound(string batchId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Batch not found", detail: $"There is no batch with id '{batchId}'.", type: ProblemTypes.NotFound);
}
