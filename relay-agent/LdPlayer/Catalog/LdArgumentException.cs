namespace LdFleet.Relay.LdPlayer.Catalog;

/// <summary>An argument that must not reach ldconsole; the message names the parameter and the rule.</summary>
internal sealed class LdArgumentException : ArgumentException
{
    public LdArgumentException(string parameter, string message)
        : base($"{parameter}: {message}", parameter)
    {
        Parameter = parameter;
    }

    public string Parameter { get; }
}
