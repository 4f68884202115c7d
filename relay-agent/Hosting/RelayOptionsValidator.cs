using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Validation;
using LdFleet.Relay.LdPlayer.Ssh;
using Microsoft.Extensions.Options;

namespace LdFleet.Relay.Hosting;

/// <summary>Cross-field checks, so a bad install fails at start with a precise message instead of at the first command.</summary>
internal sealed class RelayOptionsValidator : IValidateOptions<RelayOptions>
{
    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (FleetIds.ValidateSiteId(options.SiteId) is { } siteError)
        {
            failures.Add($"Relay:SiteId: {siteError}");
        }

        if (options.JournalRetention < TimeSpan.FromHours(1))
        {
            failures.Add("Relay:JournalRetention must be at least 1 hour (it must outlast any redelivery).");
        }

        ValidateCircuit(options.Circuit, failures);
        if (options.ShutdownTimeout < TimeSpan.FromSeconds(1) || options.ShutdownTimeout > TimeSpan.FromMinutes(1))
        {
            failures.Add("Relay:ShutdownTimeout must be between 1 second and 1 minute.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Hosts.Count; i++)
        {
            var host = options.Hosts[i];
            var prefix = $"Relay:Hosts:{i}";
            if (FleetIds.ValidateHostId(host.Id) is { } hostError)
            {
                failures.Add($"{prefix}:Id: {hostError}");
            }
            else if (!seen.Add(host.Id))
            {
                failures.Add($"{prefix}:Id: host id '{host.Id}' is listed twice.");
            }

            if (string.IsNullOrWhiteSpace(host.LdConsolePath))
            {
                failures.Add($"{prefix}:LdConsolePath is required (the full path of ldconsole.exe).");
            }
            else if (host.Kind == LdPlayerHostKind.Local && !File.Exists(host.LdConsolePath))
            {
                failures.Add($"{prefix}:LdConsolePath: no file at '{host.LdConsolePath}'.");
            }

            if (host.MaxConcurrentCalls is < 1 or > 64)
            {
                failures.Add($"{prefix}:MaxConcurrentCalls must be between 1 and 64.");
            }

            if (host.LaunchStagger < TimeSpan.Zero || host.LaunchStagger > TimeSpan.FromMinutes(5))
            {
                failures.Add($"{prefix}:LaunchStagger must be between 0 and 5 minutes.");
            }

            if (host.CodePage <= 0)
            {
                failures.Add($"{prefix}:CodePage must be a Windows code page number such as 936.");
            }

            ValidateKind(host, prefix, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Polly's own limits for a circuit breaker, checked here so a bad value fails at start with the setting's name.</summary>
    private static void ValidateCircuit(LdPlayer.CircuitOptions? circuit, List<string> failures)
    {
        if (circuit is null)
        {
            failures.Add("Relay:Circuit must not be empty.");
            return;
        }

        if (circuit.FailureThreshold is < 2 or > 1000)
        {
            failures.Add("Relay:Circuit:FailureThreshold must be between 2 and 1000 (failed calls in a row that open a host's circuit).");
        }

        if (circuit.SamplingDuration < TimeSpan.FromMilliseconds(500) || circuit.SamplingDuration > TimeSpan.FromDays(1))
        {
            failures.Add("Relay:Circuit:SamplingDuration must be between 0.5 seconds and 1 day.");
        }

        if (circuit.BreakDuration < TimeSpan.FromMilliseconds(500) || circuit.BreakDuration > TimeSpan.FromDays(1))
        {
            failures.Add("Relay:Circuit:BreakDuration must be between 0.5 seconds and 1 day.");
        }

        if (circuit.ProbeInterval < TimeSpan.FromMilliseconds(100) || circuit.ProbeInterval > TimeSpan.FromHours(1))
        {
            failures.Add("Relay:Circuit:ProbeInterval must be between 0.1 seconds and 1 hour.");
        }
    }

    private static void ValidateKind(LdPlayerHostOptions host, string prefix, List<string> failures)
    {
        switch (host.Kind)
        {
            case LdPlayerHostKind.Local when host.Ssh is not null:
                failures.Add($"{prefix}:Ssh is set but Kind is Local; set Kind to Ssh to use it, or remove the Ssh section.");
                break;
            case LdPlayerHostKind.Local:
                break;
            case LdPlayerHostKind.Ssh when host.Ssh is null:
                failures.Add($"{prefix}:Ssh is required when Kind is Ssh (Address, UserName, PrivateKeyPath, HostKeyFingerprint).");
                break;
            case LdPlayerHostKind.Ssh:
                ValidateSsh(host, host.Ssh, $"{prefix}:Ssh", failures);
                break;
            default:
                failures.Add($"{prefix}:Kind must be Local or Ssh.");
                break;
        }
    }

    private static void ValidateSsh(LdPlayerHostOptions host, SshHostOptions ssh, string prefix, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(ssh.Address))
        {
            failures.Add($"{prefix}:Address is required (host name or IP address of the LDPlayer PC).");
        }
        else if (!System.Net.IPAddress.TryParse(ssh.Address, out _))
        {
            var addressError = ssh.Address.Contains(':', StringComparison.Ordinal)
                ? $"is a host name or IP address without a port; the port goes in {prefix}:Port."
                : ParameterRules.HostAddress(ssh.Address);
            if (addressError is not null)
            {
                failures.Add($"{prefix}:Address {addressError}");
            }
        }

        if (ssh.Port is < 1 or > 65535)
        {
            failures.Add($"{prefix}:Port must be between 1 and 65535.");
        }

        if (string.IsNullOrWhiteSpace(ssh.UserName))
        {
            failures.Add($"{prefix}:UserName is required.");
        }

        // The key is read on this machine, unlike LdConsolePath, which names a file on the remote host.
        if (string.IsNullOrWhiteSpace(ssh.PrivateKeyPath))
        {
            failures.Add($"{prefix}:PrivateKeyPath is required (private-key authentication only).");
        }
        else if (!File.Exists(ssh.PrivateKeyPath))
        {
            failures.Add($"{prefix}:PrivateKeyPath: no file at '{ssh.PrivateKeyPath}'.");
        }

        if (!IsSha256Fingerprint(ssh.HostKeyFingerprint))
        {
            failures.Add($"{prefix}:HostKeyFingerprint must be the server's host key fingerprint as 'ssh-keygen -lf <key>.pub' prints it: SHA256: and 43 base64 characters.");
        }

        if (!Enum.IsDefined(ssh.Shell))
        {
            failures.Add($"{prefix}:Shell must be Cmd, PowerShell or Posix.");
        }
        else if (!string.IsNullOrWhiteSpace(host.LdConsolePath))
        {
            try
            {
                RemoteCommandLine.Build(ssh.Shell, host.LdConsolePath, [], host.Environment);
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{prefix}: LdConsolePath or Environment cannot be passed through {ssh.Shell}: {ex.Message}");
            }
        }

        if (ssh.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{prefix}:ConnectTimeout must be positive.");
        }
    }

    private static bool IsSha256Fingerprint(string? value)
    {
        const string Prefix = "SHA256:";
        if (value is null || !value.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        // 32 bytes of SHA-256 are 43 base64 characters; ssh-keygen leaves the padding off.
        var digest = value[Prefix.Length..].TrimEnd('=');
        Span<byte> bytes = stackalloc byte[33];
        return digest.Length == 43
            && Convert.TryFromBase64String(digest + "=", bytes, out var written)
            && written == 32;
    }
}
