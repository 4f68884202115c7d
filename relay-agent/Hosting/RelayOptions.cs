using System.ComponentModel.DataAnnotations;

namespace LdFleet.Relay.Hosting;

/// <summary>Who this relay is and which LDPlayer hosts it drives.</summary>
internal sealed class RelayOptions
{
    public const string SectionName = "Relay";

    /// <summary>The site this relay serves; it consumes that site's command queue.</summary>
    public string SiteId { get; set; } = "";

    /// <summary>
    /// SQLite file that records executed commands and their results, so redeliveries after a restart are
    /// answered without running ldconsole again. Defaults to a per-site file in the user's local app data.
    /// </summary>
    public string JournalPath { get; set; } = "";

    /// <summary>How long finished commands are remembered; longer than any redelivery can arrive.</summary>
    public TimeSpan JournalRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The relay's credentials as the API issued them (<c>POST /api/sites</c> or <c>.../relay-credentials</c>): the
    /// response's <c>relayCredentials</c> object, pasted as it is. Each queue URL carries a SAS limited to that queue
    /// (commands: read/update/process; its poison queue and the results queue: add). With these the relay needs no
    /// other storage credential; on Service Bus, <c>Transport:ConnectionString</c> is the site's SAS rule on its command
    /// queue and these give the results queue. Never logged.
    /// </summary>
    public IssuedRelayCredentials? Credentials { get; set; }

    /// <summary>The LDPlayer hosts on this site's LAN.</summary>
    [MinLength(1, ErrorMessage = "Relay:Hosts must name at least one LDPlayer host.")]
    public List<LdPlayerHostOptions> Hosts { get; set; } = [];

    /// <summary>The per-host circuit breaker (<c>Relay:Circuit:*</c>): when a host counts as unreachable and when it is probed again.</summary>
    public LdPlayer.CircuitOptions Circuit { get; set; } = new();

    /// <summary>
    /// How long a stopping relay waits for its commands to hand their messages back and its reports to go out before it
    /// exits anyway. Whatever is cut short is safe: the command journal records every command before ldconsole runs,
    /// and an unreleased message comes back when its lock lapses and is settled from the journal.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(4);
}

/// <summary>The part of the API's relay credentials the relay uses: one SAS URL per queue, by role.</summary>
internal sealed class IssuedRelayCredentials
{
    /// <summary><c>commands</c>, <c>commandsPoison</c> and <c>results</c>, as the API names them.</summary>
    public Dictionary<string, IssuedQueueCredential> Queues { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One queue's credential: its name and a URL with a SAS for it.</summary>
internal sealed class IssuedQueueCredential
{
    public string Queue { get; set; } = "";

    public Uri? Url { get; set; }

    public string? Permissions { get; set; }
}

/// <summary>One LDPlayer host.</summary>
internal sealed class LdPlayerHostOptions
{
    /// <summary>The host's id, as the cloud addresses it.</summary>
    public string Id { get; set; } = "";

    /// <summary>How ldconsole is reached: a process on this machine, or over SSH on another Windows PC of the LAN.</summary>
    public LdPlayerHostKind Kind { get; set; } = LdPlayerHostKind.Local;

    /// <summary>SSH connection settings; required when <see cref="Kind"/> is <see cref="LdPlayerHostKind.Ssh"/>.</summary>
    public SshHostOptions? Ssh { get; set; }

    /// <summary>Full path of ldconsole.exe (or of the simulator on Linux).</summary>
    public string LdConsolePath { get; set; } = "";

    /// <summary>
    /// The Windows ANSI code page ldconsole writes in when its output is not UTF-8: 936 (GBK) on Chinese
    /// Windows, which is where most LDPlayer installs are (reference/ldconsole.md §3.5).
    /// </summary>
    public int CodePage { get; set; } = 936;

    /// <summary>How ldconsole's output is decoded: Auto (UTF-8 if valid, else the code page), Utf8 or Ansi.</summary>
    public LdPlayer.OutputEncoding OutputEncoding { get; set; } = LdPlayer.OutputEncoding.Auto;

    /// <summary>ldconsole calls run at once on this host; LDPlayer's tooling is not known to be safe under heavy concurrency.</summary>
    public int MaxConcurrentCalls { get; set; } = 4;

    /// <summary>
    /// Minimum gap between two launches or reboots on this host: LDPlayer becomes unstable when many instances
    /// boot at once, and its own manager staggers starts by a few seconds (reference §4.4).
    /// </summary>
    public TimeSpan LaunchStagger { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Extra environment variables for ldconsole (the simulator reads its data folder from one).</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Where an LDPlayer host's ldconsole runs.</summary>
internal enum LdPlayerHostKind
{
    /// <summary>On the relay's own machine, as a child process.</summary>
    Local,

    /// <summary>On another machine, through its OpenSSH server.</summary>
    Ssh,
}

/// <summary>How to reach a remote LDPlayer host over SSH (Windows OpenSSH in production).</summary>
internal sealed class SshHostOptions
{
    /// <summary>Host name or address.</summary>
    public string Address { get; set; } = "";

    public int Port { get; set; } = 22;

    public string UserName { get; set; } = "";

    /// <summary>Path of a private key file (OpenSSH format). Passwords are deliberately not supported.</summary>
    public string PrivateKeyPath { get; set; } = "";

    /// <summary>Passphrase of the private key, if it has one. Never logged.</summary>
    public string? PrivateKeyPassphrase { get; set; }

    /// <summary>
    /// Expected SHA-256 fingerprint of the server's host key (as <c>ssh-keygen -lf</c> prints it, "SHA256:...").
    /// Connections to a server with another key are refused.
    /// </summary>
    public string HostKeyFingerprint { get; set; } = "";

    /// <summary>The remote login shell, which decides how the command line is quoted.</summary>
    public RemoteShell Shell { get; set; } = RemoteShell.Cmd;

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>The shell the SSH server runs commands with.</summary>
internal enum RemoteShell
{
    /// <summary>cmd.exe, Windows OpenSSH's default.</summary>
    Cmd,

    /// <summary>PowerShell, when configured as Windows OpenSSH's DefaultShell.</summary>
    PowerShell,

    /// <summary>A POSIX shell (Linux hosts running the ldconsole simulator, tests).</summary>
    Posix,
}
