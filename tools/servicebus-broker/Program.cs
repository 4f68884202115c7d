using System.Globalization;
using System.Runtime.InteropServices;
using LdFleet.Testing.ServiceBus;

// The Service Bus test broker (tests/LdFleet.Testing/ServiceBus/TestServiceBus.cs) as a process, for ./dev.sh up --servicebus
// and the bench: the real Azure.Messaging.ServiceBus SDK talks to it on 127.0.0.1 without TLS (UseDevelopmentEmulator=true).
//
//   ldfleet-servicebus-broker [--port N] [--queue NAME[:LOCK_SECONDS]]... [--site-rule SITE]... [--connections FILE]
//
// --site-rule SITE adds the SAS rule relay-SITE with Listen on ldfleet-site-SITE, as infra/ does. The connection strings
// (root, and one per site rule) are printed and, with --connections, written to FILE as KEY=VALUE lines. Messages live
// in memory until the process stops. Exit: 0 after SIGTERM/Ctrl+C, 2 on bad arguments.
var port = (int?)null;
var queues = new List<(string Name, TimeSpan Lock)>();
var sites = new List<string>();
string? connectionsFile = null;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    try
    {
        switch (args[i])
        {
            case "--port":
                port = int.Parse(Next(), CultureInfo.InvariantCulture);
                break;
            case "--queue":
                var spec = Next().Split(':', 2);
                queues.Add((spec[0], spec.Length == 2 ? TimeSpan.FromSeconds(double.Parse(spec[1], CultureInfo.InvariantCulture)) : TimeSpan.FromMinutes(1)));
                break;
            case "--site-rule":
                sites.Add(Next());
                break;
            case "--connections":
                connectionsFile = Next();
                break;
            default:
                throw new ArgumentException($"Unknown argument '{args[i]}'.");
        }
    }
    catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
    {
        await Console.Error.WriteLineAsync($"{ex.Message}\nUsage: ldfleet-servicebus-broker [--port N] [--queue NAME[:LOCK_SECONDS]]... [--site-rule SITE]... [--connections FILE]");
        return 2;
    }
}

await using var broker = TestServiceBus.Start(port);
foreach (var (name, lockDuration) in queues)
{
    broker.CreateQueue(name, new TestQueueSettings { LockDuration = lockDuration });
}

var lines = new List<string> { "ROOT=" + broker.ConnectionString };
foreach (var site in sites)
{
    var queue = "ldfleet-site-" + site;
    broker.CreateQueue(queue);
    broker.AddRule(queue, "relay-" + site, ServiceBusRights.Listen);
    lines.Add($"SITE_{site}={broker.ConnectionStringFor(queue, "relay-" + site)}");
}

if (connectionsFile is not null)
{
    await File.WriteAllLinesAsync(connectionsFile, lines);
}

foreach (var line in lines)
{
    Console.WriteLine(line);
}

Console.WriteLine($"Service Bus test broker listening on 127.0.0.1:{broker.Port.ToString(CultureInfo.InvariantCulture)}");
using var stop = new CancellationTokenSource();
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
