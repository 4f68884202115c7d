namespace LdFleet.Functions.Operations;

/// <summary>An operation as the API shows it.</summary>
internal sealed record OperationView(
    string Id,
    string Workflow,
    string SiteId,
    string HostId,
    int? Index,
    OperationStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    IReadOnlyDictionary<string, string> Parameters,
    IReadOnlyDictionary<string, string> Result,
    string? ErrorCode,
    string? Error,
    string? BatchId,
    string? CreatedBy,
    IReadOnlyList<StepView> Steps)
{
    public static OperationView From(Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return new(
            operation.Id,
            operation.Workflow,
            operation.SiteId,
            operation.HostId,
            operation.Index,
            operation.Status,
            operation.CreatedAt,
            operation.UpdatedAt,
            operation.CompletedAt,
            operation.Parameters,
            operation.Result,
            operation.ErrorCode,
            operation.Error,
            operation.BatchId,
            operation.CreatedBy,
            [.. operation.Steps.Select(StepView.From)]);
    }
}

/// <summary>One step of an operation as the API shows it.</summary>
internal sealed record StepView(
    string Name,
    string Action,
    int? Index,
    OperationStatus Status,
    int Attempt,
    string CommandId,
    DateTimeOffset SendAt,
    DateTimeOffset DeliverBy,
    DateTimeOffset AnswerBy,
    DateTimeOffset? DispatchedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    int? ExitCode,
    string? Output,
    string? ErrorCode,
    string? Error,
    IReadOnlyDictionary<string, string> Data)
{
    public static StepView From(Step step) => new(
        step.Name, step.Action, step.Index, step.Status, step.Attempt, step.CommandId, step.SendAt, step.DeliverBy, step.AnswerBy,
        step.DispatchedAt, step.StartedAt, step.CompletedAt, step.ExitCode, step.Output, step.ErrorCode, step.Error, step.Data);
}
