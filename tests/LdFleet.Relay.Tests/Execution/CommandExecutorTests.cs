using LdFleet.Protocol.Commands;
using LdFleet.Relay.Execution;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.Tests.LdPlayer;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LdFleet.Relay.Tests.Execution;

public sealed class CommandExecutorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ScriptedProcessRunner _runner = new();

    [Fact]
    public async Task CommandPastItsDeliveryDeadline_IsAnsweredExpiredWithoutRunningLdConsole()
    {
        _time.Advance(TimeSpan.FromMinutes(6));

        var result = await Executor().ExecuteAsync(Command(), default);

        Assert.Equal(CommandOutcome.Expired, result.Outcome);
        Assert.Empty(_runner.Calls);
    }

    [Theory]
    [InlineData("other-site", "host-1", "launch", 0, "is for site 'other-site'")]
    [InlineData("lab", "host-9", "launch", 0, "has no host 'host-9'")]
    [InlineData("lab", "host-1", "format-disk", 0, "Unknown action")]
    [InlineData("lab", "host-1", "launch", -1, "zero or more")]
    public async Task InvalidCommand_IsRejectedWithoutRunningLdConsole(string site, string host, string action, int index, string reason)
    {
        var result = await Executor().ExecuteAsync(Command() with { SiteId = site, HostId = host, Action = action, Index = index }, default);

        Assert.Equal(CommandOutcome.Rejected, result.Outcome);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
        Assert.Empty(_runner.Calls);
    }

    [Fact]
    public async Task BadParameter_IsRejectedNamingIt()
    {
        var command = Command() with { Action = EmulatorActions.RunApp, Parameters = new Dictionary<string, string> { ["packageName"] = "not a package\"" } };

        var result = await Executor().ExecuteAsync(command, default);

        Assert.Equal(CommandOutcome.Rejected, result.Outcome);
        Assert.Equal("InvalidArgument", result.ErrorCode);
        Assert.StartsWith("packageName:", result.Error, StringComparison.Ordinal);
        Assert.Empty(_runner.Calls);
    }

    private CommandExecutor Executor()
    {
        var options = new LdPlayerHostOptions { Id = "host-1", LdConsolePath = "ldconsole" };
        var hosts = new LdPlayerHostRegistry([new LdPlayerHost(options, _runner, _time)]);
        return new CommandExecutor(hosts, new LdPlayerDriver(_time), new ConnectionTest(_time), _time, Options.Create(new RelayOptions { SiteId = "lab" }), NullLogger<CommandExecutor>.Instance);
    }

    private static EmulatorCommand Command() => new()
    {
        CommandId = "op.1.1",
        OperationId = "op",
        SiteId = "lab",
        HostId = "host-1",
        Action = EmulatorActions.Launch,
        Index = 0,
        IssuedAt = T0,
        DeliverBy = T0.AddMinutes(5),
    };
}
