using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace LdFleet.Functions.Operations;

/// <summary>
/// Fault injection for the crash-recovery tests: kills the process (no graceful shutdown, like a power cut or an
/// OOM kill) the n-th time the engine passes a named boundary. Configured with <c>Operations:CrashAt</c> =
/// <c>boundary:n</c>; refused at startup outside Development.
/// </summary>
internal sealed partial class CrashPoints
{
    /// <summary>Right after an operation row was written.</summary>
    public const string AfterStateWrite = "after-state-write";

    /// <summary>Just before a command goes on the queue.</summary>
    public const string BeforeSend = "before-send";

    /// <summary>Right after a command went on the queue, before the send is recorded.</summary>
    public const string AfterSend = "after-send";

    /// <summary>A result that settles a step arrived, before it is recorded (the step is not yet marked done).</summary>
    public const string BeforeMarkDone = "before-mark-done";

    public static readonly IReadOnlyList<string> All = [AfterStateWrite, BeforeSend, AfterSend, BeforeMarkDone];

    private readonly string? _boundary;
    private readonly int _hit;
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ILogger<CrashPoints> _logger;

    public CrashPoints(IOptions<OperationsOptions> options, ILogger<CrashPoints> logger)
    {
        _logger = logger;
        if (Parse(options.Value.CrashAt) is { } spec)
        {
            (_boundary, _hit) = spec;
        }
    }

    public static (string Boundary, int Hit)? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var parts = value.Split(':');
        return parts.Length == 2 && All.Contains(parts[0]) && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? (parts[0], n)
            : throw new OptionsValidationException(nameof(OperationsOptions.CrashAt), typeof(OperationsOptions), [$"Operations:CrashAt must be <boundary>:<n> with boundary one of {string.Join(", ", All)}."]);
    }

    public void Hit(string boundary)
    {
        if (_boundary != boundary)
        {
            return;
        }

        if (_counts.AddOrUpdate(boundary, 1, (_, c) => c + 1) == _hit)
        {
            LogCrashing(_logger, boundary, _hit);
            Environment.FailFast($"LdFleet crash point {boundary}:{_hit} reached.");
        }
    }

    [LoggerMessage(EventId = 2900, Level = LogLevel.Critical, Message = "Crash point {Boundary}:{Hit} reached; terminating the process")]
    private static partial void LogCrashing(ILogger logger, string boundary, int hit);
}
