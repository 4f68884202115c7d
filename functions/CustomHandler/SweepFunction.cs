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
        var report = await services.GetRequiredService<OperationSweeper>().SweepOnceAsync(cancellationToken);
        return FunctionResult.Success(
            new { report.Scanned, report.Due, report.Settled, report.Rescheduled, pastDue },
            $"sweep: {report.Scanned} new open operations, {report.Due} due entries, {report.Settled} settled, {report.Rescheduled} rescheduled{(pastDue ? " (past due)" : "")}");
    }
}

/// <summary>The <c>cleanup</c> timer: one pass of the same job the self-hosted timer runs.</summary>
internal static class CleanupFunction
{
    public static async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var report = await services.GetRequiredService<LdFleet.Functions.Operations.Cleanup.CleanupJob>().RunOnceAsync(cancellationToken);
        return FunctionResult.Success(
            report,
            $"cleanup: {report.OperationsPurged} operations purged, {report.OperationsExpired} expired, {report.BatchesPurged} batches purged, {report.RelaysMarkedOffline} relays marked offline");
    }
}
