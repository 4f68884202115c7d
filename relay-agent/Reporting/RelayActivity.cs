using System.Threading.Channels;
using LdFleet.Protocol.Commands;

namespace LdFleet.Relay.Reporting;

/// <summary>What the command side tells the reporting side: how busy it is and which hosts just changed.</summary>
internal sealed class RelayActivity
{
    private static readonly HashSet<string> StateChanging = new(StringComparer.Ordinal)
    {
        EmulatorActions.Launch, EmulatorActions.LaunchEx, EmulatorActions.Quit, EmulatorActions.QuitAll, EmulatorActions.Reboot,
        EmulatorActions.Add, EmulatorActions.Copy, EmulatorActions.Remove, EmulatorActions.Rename, EmulatorActions.Modify, EmulatorActions.Restore,
    };

    private readonly Channel<string> _changedHosts = Channel.CreateBounded<string>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
    private int _inFlight;

    public int CommandsInFlight => Volatile.Read(ref _inFlight);

    public ChannelReader<string> ChangedHosts => _changedHosts.Reader;

    public void CommandStarted() => Interlocked.Increment(ref _inFlight);

    public void CommandFinished(EmulatorCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Interlocked.Decrement(ref _inFlight);
        if (StateChanging.Contains(command.Action))
        {
            _changedHosts.Writer.TryWrite(command.HostId);
        }
    }
}
