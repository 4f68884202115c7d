using LdFleet.Protocol.Commands;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Execution;

/// <summary>
/// Turns one command into one result. Kept apart from the listener so a hung or crashing ldconsole can only
/// fail its own command, never the receive loop.
/// </summary>
internal sealed partial class CommandExecutor
{
    // Results travel in a table row; keep the output well inside the 64 KiB property limit.
    private const int MaxOutputChars = 8 * 1024;

    private readonly LdPlayerHostRegistry _hosts;
    private readonly LdPlayerDriver _driver;
    private readonly TimeProvider _time;
    private readonly string _siteId;
    private readonly ILogger<CommandExecutor> _logger;

    public CommandExecutor(LdPlayerHostRegistry hosts, LdPlayerDriver driver, TimeProvider time, IOptions<RelayOptions> options, ILogger<CommandExecutor> logger)
    {
        _hosts = hosts;
        _driver = driver;
        _time = time;
        _siteId = options.Value.SiteId;
        _logger = logger;
    }

    public async Task<CommandResult> ExecuteAsync(EmulatorCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = command.OperationId, ["CommandId"] = command.CommandId, ["HostId"] = command.HostId });

        if (Reject(command) is { } reason)
        {
            LogRejected(_logger, command.CommandId, reason);
            return Result(command, CommandOutcome.Rejected, null, DriverErrors.Rejected, reason);
        }

        var now = _time.GetUtcNow();
        if (now > command.DeliverBy)
        {
            LogExpired(_logger, command.CommandId, command.DeliverBy);
            return Result(command, CommandOutcome.Expired, null, "Expired", $"The command arrived after its delivery deadline ({command.DeliverBy:O}) and was not executed.");
        }

        var host = _hosts.Find(command.HostId)!;
        var index = command.Index!.Value;
        LogExecuting(_logger, command.CommandId, command.Action, index);
        var result = command.Action switch
        {
            EmulatorActions.Launch => await _driver.LaunchAsync(host, index, command.ExecutionTimeout, cancellationToken),
            EmulatorActions.Quit => await _driver.QuitAsync(host, index, command.ExecutionTimeout, cancellationToken),
            _ => throw new InvalidOperationException("Unreachable: actions are checked before execution."),
        };
        LogExecuted(_logger, command.CommandId, result.Succeeded, result.ErrorCode);
        return Result(command, result.Succeeded ? CommandOutcome.Succeeded : CommandOutcome.Failed, result, result.ErrorCode, result.Error, now);
    }

    private string? Reject(EmulatorCommand command)
    {
        if (command.SchemaVersion != 1)
        {
            return $"Command schema version {command.SchemaVersion} is not supported by this relay (it knows version 1).";
        }

        if (command.SiteId != _siteId)
        {
            return $"The command is for site '{command.SiteId}', but this relay serves site '{_siteId}'.";
        }

        if (_hosts.Find(command.HostId) is null)
        {
            return $"Site '{_siteId}' has no host '{command.HostId}' (known: {string.Join(", ", _hosts.All.Select(h => h.Id))}).";
        }

        if (!EmulatorActions.All.Contains(command.Action))
        {
            return $"Unknown action '{command.Action}'.";
        }

        return command.Index is null or < 0 ? "The command names no emulator index." : null;
    }

    private CommandResult Result(EmulatorCommand command, CommandOutcome outcome, DriverResult? result, string? errorCode, string? error, DateTimeOffset? startedAt = null) => new()
    {
        SiteId = _siteId,
        CommandId = command.CommandId,
        OperationId = command.OperationId,
        HostId = command.HostId,
        Outcome = outcome,
        ErrorCode = errorCode,
        Error = error,
        ExitCode = result?.ExitCode,
        Output = Truncate(result?.Output ?? ""),
        StartedAt = startedAt,
        CompletedAt = _time.GetUtcNow(),
        TraceParent = command.TraceParent,
    };

    private static string Truncate(string text) => text.Length <= MaxOutputChars ? text : text[..MaxOutputChars] + "\n[output truncated]";

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "{CommandId}: executing {Action} on emulator {Index}")]
    private static partial void LogExecuting(ILogger logger, string commandId, string action, int index);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "{CommandId}: finished, succeeded={Succeeded} error={ErrorCode}")]
    private static partial void LogExecuted(ILogger logger, string commandId, bool succeeded, string? errorCode);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "{CommandId}: rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string commandId, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "{CommandId}: expired (deliver by {DeliverBy}); not executed")]
    private static partial void LogExpired(ILogger logger, string commandId, DateTimeOffset deliverBy);
}
