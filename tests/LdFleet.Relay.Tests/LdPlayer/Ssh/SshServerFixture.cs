using System.Diagnostics;
using System.Globalization;
using LdFleet.Relay.Hosting;
using LdFleet.Relay.LdPlayer.Ssh;
using LdFleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace LdFleet.Relay.Tests.LdPlayer.Ssh;

/// <summary>The tests that share one real OpenSSH server; they run one after another, so sshd's log can be counted.</summary>
[CollectionDefinition(Name)]
public sealed class SshServerCollection : ICollectionFixture<SshServerFixture>
{
    public const string Name = "OpenSSH server";
}

/// <summary>
/// A throwaway OpenSSH server on 127.0.0.1: its own host key, config and authorized_keys in a temp folder,
/// logging to stderr (captured), accepting the current user with a generated key.
/// </summary>
public class SshServerFixture : IAsyncLifetime
{
    private const string Sshd = "/usr/sbin/sshd";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private ChildProcess? _sshd;

    public string Folder { get; private set; } = "";

    public int Port { get; private set; }

    public string UserName { get; } = Environment.UserName;

    /// <summary>The server's host key fingerprint as ssh-keygen prints it ("SHA256:...").</summary>
    public string HostKeyFingerprint { get; private set; } = "";

    /// <summary>A key the server accepts, without a passphrase.</summary>
    public string ClientKeyPath => Path.Combine(Folder, "client_ed25519");

    /// <summary>A key the server accepts, protected by <see cref="ProtectedClientKeyPassphrase"/>.</summary>
    public string ProtectedClientKeyPath => Path.Combine(Folder, "client_protected_ed25519");

    public string ProtectedClientKeyPassphrase => "correct horse battery staple";

    /// <summary>A well-formed key the server does not know.</summary>
    public string StrangerKeyPath => Path.Combine(Folder, "stranger_ed25519");

    /// <summary>
    /// A runner connected to this server, shared by tests that only need commands run (each new connection
    /// costs about half a second of key exchange).
    /// </summary>
    internal SshProcessRunner Runner { get; private set; } = null!;

    /// <summary>Session channels sshd allows per connection (OpenSSH's default is 10).</summary>
    protected virtual int MaxSessions => 10;

    /// <summary>Every line sshd logged so far.</summary>
    public IReadOnlyCollection<string> Log => _sshd?.Lines ?? [];

    /// <summary>Logins sshd accepted so far (one per SSH connection).</summary>
    public int AcceptedLogins => Log.Count(l => l.StartsWith("Accepted publickey for ", StringComparison.Ordinal));

    public async Task InitializeAsync()
    {
        if (!File.Exists(Sshd))
        {
            throw new InvalidOperationException(
                $"The SSH tests need a real OpenSSH server, and {Sshd} is missing. Install it with " +
                "'apt-get install openssh-server openssh-client' (./dev.sh does this when run as root).");
        }

        Folder = Directory.CreateTempSubdirectory("ldfleet-sshd-").FullName;
        await KeygenAsync("-q", "-t", "ed25519", "-N", "", "-C", "ldfleet-test-host", "-f", Path.Combine(Folder, "host_ed25519"));
        await KeygenAsync("-q", "-t", "ed25519", "-N", "", "-C", "ldfleet-test-client", "-f", ClientKeyPath);
        await KeygenAsync("-q", "-t", "ed25519", "-N", ProtectedClientKeyPassphrase, "-C", "ldfleet-test-protected", "-f", ProtectedClientKeyPath);
        await KeygenAsync("-q", "-t", "ed25519", "-N", "", "-C", "ldfleet-test-stranger", "-f", StrangerKeyPath);
        await File.WriteAllTextAsync(
            Path.Combine(Folder, "authorized_keys"),
            await File.ReadAllTextAsync(ClientKeyPath + ".pub") + await File.ReadAllTextAsync(ProtectedClientKeyPath + ".pub"));

        // "256 SHA256:abc... ldfleet-test-host (ED25519)"
        var fingerprintLine = await KeygenAsync("-l", "-E", "sha256", "-f", Path.Combine(Folder, "host_ed25519.pub"));
        HostKeyFingerprint = fingerprintLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];

        Port = FreePort.Next();
        await File.WriteAllTextAsync(Path.Combine(Folder, "sshd_config"), $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {Folder}/host_ed25519
            PidFile {Folder}/sshd.pid
            AuthorizedKeysFile {Folder}/authorized_keys
            StrictModes no
            UsePAM no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            PrintMotd no
            MaxSessions {MaxSessions.ToString(CultureInfo.InvariantCulture)}
            """);

        if (Environment.UserName == "root")
        {
            // Run as root, sshd insists on its privilege separation directory, which the distribution's
            // service unit normally creates at boot; /run is emptied on every restart.
            Directory.CreateDirectory("/run/sshd");
        }

        await StartAsync();
        Runner = new SshProcessRunner("ssh-shared", Options(), TimeProvider.System, NullLogger<SshProcessRunner>.Instance);
    }

    /// <summary>Kills sshd and every session it serves, as a crash or a reboot of the remote host would.</summary>
    public async Task KillAsync()
    {
        if (_sshd is not null)
        {
            await _sshd.DisposeAsync();
            _sshd = null;
        }
    }

    /// <summary>Starts sshd again on the same port with the same keys.</summary>
    public async Task StartAsync()
    {
        _sshd = ChildProcess.Start("sshd", Sshd, ["-D", "-e", "-f", Path.Combine(Folder, "sshd_config")], workingDirectory: Folder);
        await _sshd.WaitForLineAsync(l => l.Contains($"Server listening on 127.0.0.1 port {Port.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal), StartTimeout);
    }

    /// <summary>SSH settings that reach this server.</summary>
    internal SshHostOptions Options(RemoteShell shell = RemoteShell.Posix) => new()
    {
        Address = "127.0.0.1",
        Port = Port,
        UserName = UserName,
        PrivateKeyPath = ClientKeyPath,
        HostKeyFingerprint = HostKeyFingerprint,
        Shell = shell,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>sshd's recent output, for assertion messages.</summary>
    public string Tail() => _sshd?.Tail() ?? "(sshd is not running)";

    public async Task DisposeAsync()
    {
        Runner?.Dispose();
        await KillAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A session still closing may hold a file; the temp folder is cleaned by the OS later.
        }
    }

    private static async Task<string> KeygenAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("ssh-keygen")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("The SSH tests need ssh-keygen: install openssh-client ('apt-get install openssh-client').", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return process.ExitCode == 0
                ? await stdout
                : throw new InvalidOperationException($"ssh-keygen {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}");
        }
    }
}
