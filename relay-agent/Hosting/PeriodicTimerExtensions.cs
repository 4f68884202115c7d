namespace LdFleet.Relay.Hosting;

internal static class PeriodicTimerExtensions
{
    /// <summary>Waits for the next tick; false when the timer was disposed or the relay is stopping.</summary>
    public static async Task<bool> TickOrStopAsync(this PeriodicTimer timer, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
