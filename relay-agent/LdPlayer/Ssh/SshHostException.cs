namespace LdFleet.Relay.LdPlayer.Ssh;

/// <summary>
/// A remote LDPlayer host could not be reached or refused us (connection, host key, authentication, lost
/// session). Thrown, not returned: it is an infrastructure fault, so the command message is retried later
/// and dead-lettered with this message once its deliveries run out.
/// </summary>
internal sealed class SshHostException : IOException
{
    public SshHostException(string hostId, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        HostId = hostId;
    }

    public string HostId { get; }
}
