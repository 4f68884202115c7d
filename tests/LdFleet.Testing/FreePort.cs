using System.Net;
using System.Net.Sockets;

namespace LdFleet.Testing;

/// <summary>Picks a loopback port that is free right now, for a child process that needs one on its command line.</summary>
/// <remarks>
/// Ports come from below the kernel's ephemeral range (32768-60999 on Linux), never from it: a server that is
/// restarted on its port (the broker and storage outage tests) would otherwise find the port taken by some
/// client's outgoing connection, which the kernel numbers from that range. A port is handed out once per process.
/// </remarks>
public static class FreePort
{
    private const int First = 20_000;
    private const int Last = 32_000;
    private static readonly HashSet<int> Issued = [];

    public static int Next()
    {
        for (var attempt = 0; attempt < 2_000; attempt++)
        {
            var port = Random.Shared.Next(First, Last);
            lock (Issued)
            {
                if (!Issued.Add(port))
                {
                    continue;
                }
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use by another process: try another.
            }
        }

        throw new InvalidOperationException($"No free loopback port between {First} and {Last}.");
    }
}
