using System.Text;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.LdPlayer.Ssh;
using Microsoft.Extensions.Logging.Abstractions;

namespace LdFleet.Relay.Tests.LdPlayer.Ssh;

/// <summary>An OpenSSH server that allows only two session channels per connection.</summary>
public sealed class TwoSessionSshServer : SshServerFixture
{
    protected override int MaxSessions => 2;
}

/// <summary>
/// The runner against a server that refuses channels while it is still freeing earlier sessions ("no more sessions"):
/// it waits and opens the channel again, so every command runs, once.
/// </summary>
public sealed class SshChannelLimitTests(TwoSessionSshServer server) : IClassFixture<TwoSessionSshServer>
{
    [Fact]
    public async Task RunAsync_ServerRefusingChannels_EveryCommandStillRunsOnce()
    {
        using var runner = new SshProcessRunner("ssh-tight", server.Options(), TimeProvider.System, NullLogger<SshProcessRunner>.Instance);
        var marker = Path.Combine(server.Folder, "runs.log");

        // Ten at once against two sessions: eight are refused at first, and refused again as the first ones end.
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            runner.RunAsync(new ProcessSpec("/bin/sh", ["-c", "echo \"$1\" >> \"$2\"; sleep 0.3; printf %s \"$1\"", "sh", $"call-{i}", marker], TimeSpan.FromSeconds(60)), default)));

        Assert.All(results, r => Assert.True(r.ExitCode == 0 && !r.TimedOut, $"exit {r.ExitCode}, timed out {r.TimedOut}\n{server.Tail()}"));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"call-{i}"), results.Select(r => Encoding.UTF8.GetString(r.StandardOutput)));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"call-{i}").Order(), File.ReadAllLines(marker).Order());
        Assert.Contains(server.Log, l => l.Contains("no more sessions", StringComparison.Ordinal));
    }

    [Fact]
    public void RefusedChannelDelay_GrowsAndIsCapped()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(10), SshProcessRunner.RefusedChannelDelay(0));
        Assert.Equal(TimeSpan.FromMilliseconds(80), SshProcessRunner.RefusedChannelDelay(3));
        Assert.Equal(TimeSpan.FromMilliseconds(500), SshProcessRunner.RefusedChannelDelay(40));
    }
}
