using System.Collections.Concurrent;

namespace LdFleet.LdConsoleSim.Tests.Infrastructure;

/// <summary>
/// Class fixture handing out one initialised home per profile, for theories whose cases never
/// change the install (error paths). Saves a <c>sim:init</c> process per case; xunit runs the
/// cases of one class sequentially, so reading the journal's last line stays unambiguous.
/// </summary>
public sealed class SharedHomes : IDisposable
{
    private readonly ConcurrentDictionary<string, SimHome> _homes = new(StringComparer.Ordinal);

    internal SimHome For(string profile) => _homes.GetOrAdd(profile, p => SimHome.Init(2, p));

    public void Dispose()
    {
        foreach (var home in _homes.Values)
        {
            home.Dispose();
        }
    }
}
