namespace LdFleet.Functions.Operations;

/// <summary>An operation as the API shows it.</summary>
internal sealed record OperationView(
    string Id,
    string Action,
    string SiteId,
    string HostId,
    int Index,
    OperationStatus Status,
    int Attempt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset DeliverBy,
    DateTimeOffset AnswerBy,
    DateTimeOffset? DispatchedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? RelayStartedAt,
    int? ExitCode,
    string? Output,
    string? ErrorCode,
    string? Error)
{
    public static OperationView From(Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return new(
            operation.Id,
            operation.Action,
            operation.SiteId,
            operation.HostId,
            operation.Index,
            operation.Status,
            operation.Attempt,
            operation.CreatedAt,
            operation.UpdatedAt,
            operation.DeliverBy,
            operation.AnswerBy,
            operation.DispatchedAt,
            operation.CompletedAt,
            operation.RelayStartedAt,
            operation.ExitCode,
            operation.Output,
            operation.ErrorCode,
            operation.Error);
    }
}
