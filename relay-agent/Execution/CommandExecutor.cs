using LdFleet.Protocol.Commands;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.LdPlayer.Catalog;
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
    private readonly ConnectionTest _connectionTest;
    private readonly TimeProvider _time;
    private readonly string _siteId;
    private readonly ILogger<CommandExecutor> _logger;

    public CommandExecutor(LdPlayerHostRegistry hosts, LdPlayerDriver driver, ConnectionTest connectionTest, TimeProvider time, IOptions<RelayOptions> options, ILogger<CommandExecutor> logger)
    {
        _hosts = hosts;
        _driver = driver;
        _connectionTest = connectionTest;
        _time = time;
        _siteId = options.Value.SiteId;
        _logger = logger;
    }

    /// <summary>Executes a command seen for the first time.</summary>
    public Task<CommandResult> ExecuteAsync(EmulatorCommand command, CancellationToken cancellationToken) =>
        RunAsync(command, recovering: false, cancellationToken);

    /// <summary>Settles a command whose earlier execution was interrupted, without running ldconsole's action again.</summary>
    public Task<CommandResult> RecoverAsync(EmulatorCommand command, CancellationToken cancellationToken) =>
        RunAsync(command, recovering: true, cancellationToken);

    /// <summary>The answer for a command cancelled by the cloud, before (<paramref name="startedAt"/> null) or while it ran.</summary>
    public CommandResult Cancelled(EmulatorCommand command, DateTimeOffset? startedAt) =>
        Result(command, CommandOutcome.Failed, null, "Cancelled",
            startedAt is null ? "Cancelled before it started; ldconsole was not run." : "Cancelled while running; the ldconsole process was stopped.", startedAt);

    private async Task<CommandResult> RunAsync(EmulatorCommand command, bool recovering, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = command.OperationId, ["CommandId"] = command.CommandId, ["HostId"] = command.HostId });

        if (Reject(command) is { } reason)
        {
            LogRejected(_logger, command.CommandId, reason);
            return Result(command, CommandOutcome.Rejected, null, DriverErrors.Rejected, reason);
        }

        var now = _time.GetUtcNow();
        if (now > command.DeliverBy && !recovering)
        {
            LogExpired(_logger, command.CommandId, command.DeliverBy);
            return Result(command, CommandOutcome.Expired, null, "Expired", $"The command arrived after its delivery deadline ({command.DeliverBy:O}) and was not executed.");
        }

        var host = _hosts.Find(command.HostId)!;
        LogExecuting(_logger, command.CommandId, command.Action, command.Index);
        DriverResult result;
        try
        {
            result = command.Action switch
            {
                EmulatorActions.WaitBooted => await _driver.WaitUntilBootedAsync(host, EmulatorSelector.ByIndex(command.Index!.Value), command.ExecutionTimeout, cancellationToken),
                EmulatorActions.WaitStopped => await _driver.WaitUntilStoppedAsync(host, EmulatorSelector.ByIndex(command.Index!.Value), command.ExecutionTimeout, cancellationToken),
                EmulatorActions.Status => await _driver.StatusAsync(host, EmulatorSelector.ByIndex(command.Index!.Value), cancellationToken),
                EmulatorActions.Inventory => await InventoryAsync(host, cancellationToken),

                // Read-only, so an interrupted test is simply run again.
                EmulatorActions.TestConnection => await _connectionTest.RunAsync(host, command.ExecutionTimeout, cancellationToken),
                _ when recovering => await _driver.RecoverAsync(host, CommandMapper.Map(command), cancellationToken),
                _ => await _driver.ExecuteAsync(host, CommandMapper.Map(command), command.ExecutionTimeout, cancellationToken),
            };
        }
        catch (LdArgumentException ex)
        {
            LogRejected(_logger, command.CommandId, ex.Message);
            return Result(command, CommandOutcome.Rejected, null, DriverErrors.InvalidArgument, ex.Message);
        }
        catch (HostUnavailableException ex)
        {
            // The host's circuit is open (a list2 the command needed was refused): fail at once, as every command does.
            LogExecuted(_logger, command.CommandId, false, DriverErrors.HostUnreachable);
            return Result(command, CommandOutcome.Failed, null, DriverErrors.HostUnreachable, ex.Message, now);
        }

        LogExecuted(_logger, command.CommandId, result.Succeeded, result.ErrorCode);
        return Result(command, result.Succeeded ? CommandOutcome.Succeeded : CommandOutcome.Failed, result, result.ErrorCode, result.Error, now);
    }

    private async Task<DriverResult> InventoryAsync(LdPlayerHost host, CancellationToken cancellationToken)
    {
        var (emulators, error) = await _driver.ListAsync(host, cancellationToken);
        return emulators is null
            ? DriverResult.Failure(null, DriverErrors.ListUnreadable, error ?? "list2 could not be read.")
            : new DriverResult(true, 0, InventoryJson.Serialize(InventoryJson.Report(_siteId, host.Id, _time.GetUtcNow(), emulators, null)));
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

        if (command.Index is < 0)
        {
            return "An emulator index is zero or more.";
        }

        return command.Index is null && !EmulatorActions.HostWide.Contains(command.Action) ? $"Action '{command.Action}' needs an emulator index." : null;
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
        Data = result?.Data ?? new Dictionary<string, string>(),
        StartedAt = startedAt,
        CompletedAt = _time.GetUtcNow(),
        TraceParent = command.TraceParent,
    };

    private static string Truncate(string text) => text.Length <= MaxOutputChars ? text : text[..MaxOutputChars] + "\n[output truncated]";

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "{CommandId}: executing {Action} on emulator {Index}")]
    private static partial void LogExecuting(ILogger logger, string commandId, string action, int? index);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "{CommandId}: finished, succeeded={Succeeded} error={ErrorCode}")]
    private static partial void LogExecuted(ILogger logger, string commandId, bool succeeded, string? errorCode);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "{CommandId}: rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string commandId, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "{CommandId}: expired (deliver by {DeliverBy}); not executed")]
    private static partial void LogExpired(ILogger logger, string commandId, DateTimeOffset deliverBy);
}
