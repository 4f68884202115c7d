using System.Text;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer;
using LdFleet.Relay.LdPlayer.Ssh;
using LdFleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace LdFleet.Relay.Tests.LdPlayer.Ssh;

/// <summary>The SSH runner against a real OpenSSH server and a real POSIX shell on 127.0.0.1.</summary>
[Collection(SshServerCollection.Name)]
public sealed class SshProcessRunnerTests(SshServerFixture server)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static TheoryData<string[]> TrickyArguments => new()
    {
        { ["plain", "two words", "", "  padded  "] },
        { ["it's", "\"double\"", "'single'", "a\\b\\\\", "trailing\\"] },
        { ["$HOME", "${PATH}", "`id`", "$(id)", "!!", "*", "?", "~", "#no comment"] },
        { ["%PATH%", "^", "&", "|", "<", ">", ";", "a&&b||c", "(x)", "{y}", "[z]"] },
        { ["雷电模拟器", "万龙1号", "Ünïcödé", "emoji 🎮", "‘curly’ “quotes”"] },
        { ["--name", "LDPlayer-1", "--index", "0", "-", "--", "=", "K=V"] },
    };

    [Theory]
    [MemberData(nameof(TrickyArguments))]
    public async Task RunAsync_TrickyArguments_ArriveExactlyAsGiven(string[] arguments)
    {
        var runner = server.Runner;

        // printf prints each argument followed by a NUL, so the split below shows every boundary exactly.
        var result = await runner.RunAsync(new ProcessSpec("/usr/bin/printf", ["%s\\0", .. arguments], Timeout), default);

        Assert.True(result.ExitCode == 0, Describe(result));
        var printed = Encoding.UTF8.GetString(result.StandardOutput).Split('\0');
        Assert.Equal([.. arguments, ""], printed);
    }

    [Fact]
    public async Task RunAsync_Environment_IsSetForTheProgram()
    {
        var runner = server.Runner;
        var spec = new ProcessSpec("/usr/bin/printenv", ["LDFLEET_ONE", "LDFLEET_TWO"], Timeout)
        {
            Environment = new Dictionary<string, string> { ["LDFLEET_ONE"] = "it's $HOME `id` \"x\"", ["LDFLEET_TWO"] = "雷电 & | ;" },
        };

        var result = await runner.RunAsync(spec, default);

        Assert.True(result.ExitCode == 0, Describe(result));
        Assert.Equal("it's $HOME `id` \"x\"\n雷电 & | ;\n", Encoding.UTF8.GetString(result.StandardOutput));
    }

    [Fact]
    public async Task RunAsync_ExitCodeAndStderr_AreReportedAsBytes()
    {
        var runner = server.Runner;

        var result = await runner.RunAsync(new ProcessSpec("/bin/sh", ["-c", "printf 'out\\377'; printf 'err' >&2; exit 7"], Timeout), default);

        Assert.Equal(7, result.ExitCode);
        Assert.False(result.TimedOut);
        Assert.Equal([(byte)'o', (byte)'u', (byte)'t', 0xFF], result.StandardOutput);
        Assert.Equal("err"u8.ToArray(), result.StandardError);
    }

    [Fact]
    public async Task RunAsync_MissingProgram_IsAnExitCodeNotAnException()
    {
        var runner = server.Runner;

        var result = await runner.RunAsync(new ProcessSpec("/nonexistent/ldconsole", ["list2"], Timeout), default);

        Assert.Equal(127, result.ExitCode);
        Assert.NotEmpty(result.StandardError);
    }

    [Fact]
    public async Task RunAsync_Timeout_ClosesTheChannelAndReportsTimedOut()
    {
        using var runner = NewRunner();

        var result = await runner.RunAsync(new ProcessSpec("/bin/sleep", ["30"], TimeSpan.FromSeconds(1)), default);

        Assert.True(result.TimedOut);
        Assert.Equal(-1, result.ExitCode);
        Assert.InRange(result.Duration, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));

        // The connection survives a timed-out command.
        var after = await runner.RunAsync(new ProcessSpec("/bin/true", [], Timeout), default);
        Assert.Equal(0, after.ExitCode);
    }

    [Fact]
    public async Task RunAsync_CallerCancels_ThrowsPromptly()
    {
        using var runner = NewRunner();
        Assert.Equal(0, (await runner.RunAsync(new ProcessSpec("/bin/true", [], Timeout), default)).ExitCode);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = TimeProvider.System.GetTimestamp();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(new ProcessSpec("/bin/sleep", ["30"], Timeout), cancellation.Token));

        Assert.InRange(TimeProvider.System.GetElapsedTime(started), TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task RunAsync_ConcurrentCommands_ShareOneConnection()
    {
        using var runner = NewRunner();
        var loginsBefore = server.AcceptedLogins;

        // More commands than the 10 channels OpenSSH allows per connection, so some have to queue.
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            runner.RunAsync(new ProcessSpec("/bin/sh", ["-c", "sleep 0.2; printf %s \"$1\"", "sh", $"call-{i}"], Timeout), default)));

        Assert.All(results, r => Assert.Equal(0, r.ExitCode));
        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"call-{i}"), results.Select(r => Encoding.UTF8.GetString(r.StandardOutput)));
        await Poll.UntilAsync(() => Task.FromResult(server.AcceptedLogins - loginsBefore), n => n >= 1, TimeSpan.FromSeconds(5), "sshd to log the login");
        Assert.Equal(1, server.AcceptedLogins - loginsBefore);
    }

    [Fact]
    public async Task RunAsync_ServerRestarted_Reconnects()
    {
        // The shared runner, so every test that uses it afterwards also depends on the reconnection.
        var runner = server.Runner;
        Assert.Equal(0, (await runner.RunAsync(new ProcessSpec("/bin/true", [], Timeout), default)).ExitCode);

        await server.KillAsync();
        await server.StartAsync();

        // The first call may still meet the dead connection (reported as an SshHostException, never retried
        // because the command may have run); the runner must then connect again by itself.
        var result = await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    return await runner.RunAsync(new ProcessSpec("/bin/echo", ["back"], Timeout), default);
                }
                catch (SshHostException)
                {
                    return null;
                }
            },
            r => r is not null,
            TimeSpan.FromSeconds(15),
            "the runner to reconnect");

        Assert.Equal("back\n", Encoding.UTF8.GetString(result!.StandardOutput));
    }

    [Fact]
    public async Task RunAsync_WrongHostKeyFingerprint_IsRefusedWithAClearMessage()
    {
        var options = server.Options();
        options.HostKeyFingerprint = "SHA256:" + Convert.ToBase64String(new byte[32]).TrimEnd('=');
        using var runner = NewRunner(options);
        var loginsBefore = server.AcceptedLogins;

        var error = await Assert.ThrowsAsync<SshHostException>(() => runner.RunAsync(new ProcessSpec("/bin/true", [], Timeout), default));

        Assert.Contains("Host key mismatch", error.Message, StringComparison.Ordinal);
        Assert.Contains(server.HostKeyFingerprint, error.Message, StringComparison.Ordinal);
        Assert.Contains(options.HostKeyFingerprint, error.Message, StringComparison.Ordinal);
        Assert.Equal(loginsBefore, server.AcceptedLogins);
    }

    [Fact]
    public async Task RunAsync_KeyTheServerDoesNotKnow_IsRefusedWithAClearMessage()
    {
        var options = server.Options();
        options.PrivateKeyPath = server.StrangerKeyPath;
        using var runner = NewRunner(options);

        var error = await Assert.ThrowsAsync<SshHostException>(() => runner.RunAsync(new ProcessSpec("/bin/true", [], Timeout), default));

        Assert.Contains("refused the private key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_PassphraseProtectedKey_Authenticates()
    {
        var options = server.Options();
        options.PrivateKeyPath = server.ProtectedClientKeyPath;
        options.PrivateKeyPassphrase = server.ProtectedClientKeyPassphrase;
        using var runner = NewRunner(options);

        var result = await runner.RunAsync(new ProcessSpec("/bin/true", [], Timeout), default);

        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task RunAsync_NothingListening_IsAnSshHostException()
    {
        var options = server.Options();
        options.Port = FreePort.Next();
        using var runner = NewRunner(options);

        var error = await Assert.ThrowsAsync<SshHostException>(() => runner.RunAsync(new ProcessSpec("/bin/true", [], Timeout), default));

        Assert.Contains($"127.0.0.1:{options.Port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_UnquotableArgument_IsRefusedBeforeConnecting()
    {
        var options = server.Options();
        options.Port = FreePort.Next();
        using var runner = NewRunner(options);

        await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync(new ProcessSpec("/bin/echo", ["two\nlines"], Timeout), default));
    }

    private SshProcessRunner NewRunner(SshHostOptions? options = null) =>
        new("ssh-test", options ?? server.Options(), TimeProvider.System, NullLogger<SshProcessRunner>.Instance);

    private string Describe(ProcessResult result) =>
        $"exit {result.ExitCode}, stderr: {Encoding.UTF8.GetString(result.StandardError)}\n{server.Tail()}";
}
