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
    /// <summary>
    /// While the operation waits for its emulator (mutating operations on one emulator take turns): the operation
    /// ahead of it. Absent otherwise.
    /// </summary>
    public string? WaitingFor { get; init; }

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
            [.. operation.Steps.Select(StepView.From)])
        {
            WaitingFor = operation.WaitingFor,
        };
    }

    /// <summary>
    /// The view the orchestration publishes while it runs (its custom status). The provider keeps custom status in one
    /// table property, which holds at most 64 KiB, so step texts are clipped harder until the view fits; the complete
    /// view is the orchestration's output once it ends.
    /// </summary>
    public static OperationView Compact(Operation operation)
    {
        var full = From(operation);
        foreach (var limit in ClipLimits)
        {
            var clipped = full with { Steps = [.. full.Steps.Select(s => s with { Output = Clip(s.Output, limit), Error = Clip(s.Error, Math.Max(limit, 256)) })] };
            if (System.Text.Json.JsonSerializer.Serialize(clipped).Length <= MaxCompactChars)
            {
                return clipped;
            }
        }

        return full with { Steps = [.. full.Steps.Select(s => s with { Output = null, Error = Clip(s.Error, 128), Data = new Dictionary<string, string>() })] };
    }

    // A table property holds 32K UTF-16 characters; the rest of the instance row and JSON escaping need the margin.
    private const int MaxCompactChars = 24_000;
    private static readonly int[] ClipLimits = [1024, 256, 0];

    private static string? Clip(string? text, int limit) =>
        text is null || text.Length <= limit ? text : limit == 0 ? null : text[..limit] + " [clipped; complete when the operation ends]";
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
