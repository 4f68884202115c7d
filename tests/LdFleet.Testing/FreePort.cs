using System.Net;
using System.Net.Sockets;

namespace LdFleet.Testing;

/// <summary>Picks a loopback port that is free right now, for a child process that needs one on its command line.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
