using System.Globalization;
using System.Text.Json;
using LdFleet.Cli.Output;

namespace LdFleet.Cli.Watch;

/// <summary>A batch's counts as the watch shows them.</summary>
internal sealed record BatchSnapshot(string Id, string Status, int Total, int Pending, int Running, int Succeeded, int Failed, int TimedOut, int Cancelled, int Skipped)
{
    public int Errors => Failed + TimedOut;

    public int Done => Succeeded + Failed + TimedOut + Cancelled + Skipped;

    public bool IsTerminal => Status is "Succeeded" or "Failed" or "Cancelled";

    public static BatchSnapshot From(JsonElement batch)
    {
        var counts = batch.GetProperty("counts");
        return new(
            Fields.Of(batch, "id"), Fields.Of(batch, "status"), Fields.Int(batch, "total"), Fields.Int(counts, "pending"), Fields.Int(counts, "running"),
            Fields.Int(counts, "succeeded"), Fields.Int(counts, "failed"), Fields.Int(counts, "timedOut"), Fields.Int(counts, "cancelled"), Fields.Int(counts, "skipped"));
    }

    /// <summary>The counts part of a progress line, e.g. <c>Running: 120/1000 succeeded, 3 failed, 40 running</c>.</summary>
    public string Counts()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Status}: {Succeeded}/{Total} succeeded, {Errors} failed, {Running} running, {Pending} pending");
        if (Cancelled > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {Cancelled} cancelled");
        }

        if (Skipped > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {Skipped} skipped");
        }

        return text;
    }
}

/// <summary>
/// Estimates the time left from the completion rate seen since the watch began (children finished per second),
/// which reflects the batch's real concurrency and the hosts' speed better than any per-item guess.
/// </summary>
internal sealed class EtaEstimator
{
    private DateTimeOffset? _start;
    private int _startDone;

    public TimeSpan? Estimate(DateTimeOffset now, int done, int total)
    {
        if (_start is null)
        {
            _start = now;
            _startDone = done;
            return null;
        }

        var elapsed = (now - _start.Value).TotalSeconds;
        var finished = done - _startDone;
        if (finished <= 0 || elapsed <= 0)
        {
            return null;
        }

        var remaining = Math.Max(0, total - done);
        return TimeSpan.FromSeconds(Math.Ceiling(remaining / (finished / elapsed)));
    }

    public static string Format(TimeSpan? eta) => eta is { } e
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)e.TotalHours:00}:{e.Minutes:00}:{e.Seconds:00}")
        : "--:--:--";
}
