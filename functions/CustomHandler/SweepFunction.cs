using LdFleet.Functions.Operations;

namespace LdFleet.Functions.CustomHandler;

/// <summary>The <c>sweep</c> timer: one pass of the same sweep the self-hosted timer runs.</summary>
internal static class SweepFunction
{
    public static async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var pastDue = invocation.Trigger is { ValueKind: System.Text.Json.JsonValueKind.Object } timer
            && timer.TryGetProperty("IsPastDue", out var flag) && flag.ValueKind == System.Text.Json.JsonValueKind.True;
        var (redriven, timedOut) = await services.GetRequiredService<OperationSweeper>().SweepOnceAsync(cancellationToken);
        return FunctionResult.Success(
            new { redriven, timedOut, pastDue },
            $"sweep: {redriven} commands sent again, {timedOut} operations timed out{(pastDue ? " (past due)" : "")}");
    }
}
