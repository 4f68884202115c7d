using System.Text.Json;
using LdFleet.Functions.Operations.Workflows;
using Microsoft.DurableTask.Client;

namespace LdFleet.Functions.Operations.Orchestration;

/// <summary>The API's view of an operation, built from what its orchestration holds.</summary>
internal static class OperationViews
{
    /// <summary>
    /// An operation whose orchestration has not begun: its first step, as the orchestration will plan it, is Pending
    /// (the times are those of the request; the orchestration's are a moment later).
    /// </summary>
    public static OperationView Pending(string operationId, OperationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var operation = input.ToPendingOperation(operationId);
        if (input.Settings is not null && WorkflowCatalog.Exists(input.Workflow) && WorkflowCatalog.Next(operation) is RunStep first)
        {
            operation = operation with { Steps = [Steps.NewAttempt(operationId, first.Name, first.Action, first.Index, first.Parameters, 1, 1, input.CreatedAt, input.Settings)] };
        }

        return OperationView.From(operation);
    }

    /// <summary>
    /// How long a recorded operation may be without its orchestration before it reads as never started. The API writes
    /// the row, then schedules the orchestration; scheduling sends the start message and then writes the instance, so
    /// an instance can be missing briefly when storage failed in between (it appears once the message is processed).
    /// A row still without one after this long was recorded by a request that failed before the schedule: nothing runs.
    /// </summary>
    public static readonly TimeSpan StartGrace = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The operation as a row alone tells it (no orchestration instance exists): an unfinished row past
    /// <see cref="StartGrace"/> is <c>Failed</c>/<c>NotStarted</c>, so a client that saw its request fail and then found
    /// the row is not left waiting on an operation that will never run.
    /// </summary>
    public static OperationView FromRowWithoutInstance(OperationView row, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Status.IsTerminal() || now - row.CreatedAt <= StartGrace
            ? row
            : row with
            {
                Status = OperationStatus.Failed,
                ErrorCode = NotStarted,
                Error = "The operation was recorded but its orchestration was never started (the request that created it failed); nothing ran.",
                CompletedAt = now,
                UpdatedAt = now,
            };
    }

    /// <summary>The error code of an operation recorded by a request that failed before its orchestration was scheduled.</summary>
    public const string NotStarted = "NotStarted";

    /// <summary>
    /// The operation as its orchestration stands: the output once it completed, the published custom status while it
    /// runs, and for an instance that failed or was terminated outside the workflow's own logic (a bug, an unreadable
    /// input, an operator's terminate) the last published view marked Failed with the reason. <paramref name="fallback"/>
    /// (the read model's row) names the operation when the instance holds nothing readable.
    /// </summary>
    public static OperationView FromInstance(OrchestrationMetadata instance, OperationView? fallback = null)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed && TryRead(instance.ReadOutputAs<OperationView>) is { } output)
        {
            return output;
        }

        var last = TryRead(instance.ReadCustomStatusAs<OperationView>)
            ?? (TryRead(instance.ReadInputAs<OperationInput>) is { } input ? Pending(instance.InstanceId, input) : null)
            ?? fallback
            ?? new OperationView(instance.InstanceId, "", "", "", null, OperationStatus.Pending, instance.CreatedAt, instance.LastUpdatedAt, null,
                new Dictionary<string, string>(), new Dictionary<string, string>(), null, null, null, null, []);
        return instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated or OrchestrationRuntimeStatus.Completed => last with
            {
                Status = OperationStatus.Failed,
                ErrorCode = "EngineFailure",
                Error = instance.RuntimeStatus == OrchestrationRuntimeStatus.Terminated
                    ? "The operation's orchestration was terminated."
                    : $"The operation's orchestration failed: {instance.FailureDetails?.ErrorMessage ?? "no reason recorded"}",
                CompletedAt = instance.LastUpdatedAt,
                UpdatedAt = instance.LastUpdatedAt,
            },
            _ => last,
        };
    }

    private static T? TryRead<T>(Func<T?> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (JsonException)
        {
            return null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }
}
