using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LdFleet.Testing;

/// <summary>A queue the broker declares at boot: AMQP 1.0 clients cannot declare queues on RabbitMQ 3.10.</summary>
/// <param name="Name">The queue name.</param>
/// <param name="DeadLetterQueue">Where rejected, expired and over-delivered messages go; declared too.</param>
/// <param name="DeliveryLimit">
/// When set, a quorum queue with this <c>x-delivery-limit</c>: returns (released, or unsettled at disconnect)
/// after which the message is dead-lettered, the stand-in for Service Bus MaxDeliveryCount. Otherwise a classic
/// queue, which boots much faster (each quorum queue starts its own Raft member).
/// </param>
public sealed record RabbitMqQueue(string Name, string? DeadLetterQueue = null, int? DeliveryLimit = null);

/// <summary>
/// A private RabbitMQ 3.10 with the AMQP 1.0 plugin, run as a plain process on loopback with free ports, a
/// private epmd and a temp data folder (recipe: shared reference, servicebus-amqp-and-functions.md B.1). Fails
/// with a clear message when rabbitmq-server is not installed (./dev.sh test installs it as root).
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    public const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private const string User = "ldfleet";

    private readonly string _directory;
    private readonly int _epmdPort;
    private readonly int _distPort;
    private ChildProcess _process;

    private RabbitMqServer(ChildProcess process, string directory, int port, int distPort, int epmdPort, string password)
    {
        _process = process;
        _directory = directory;
        _distPort = distPort;
        _epmdPort = epmdPort;
        Port = port;
        ConnectionString = $"amqp://{User}:{password}@127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>The AMQP 1.0 port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The transport connection string for this broker.</summary>
    public string ConnectionString { get; }

    /// <summary>The broker's output, for assertion messages.</summary>
    public string Tail() => _process.Tail();

    public static async Task<RabbitMqServer> StartAsync(IReadOnlyCollection<RabbitMqQueue> queues, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(queues);
        if (!File.Exists(ServerScript))
        {
            throw new InvalidOperationException(
                $"RabbitMQ is not installed ({ServerScript} is missing). The AMQP transport tests need rabbitmq-server 3.10 " +
                "with its AMQP 1.0 plugin: run ./dev.sh test as root (it installs it) or 'sudo apt-get install rabbitmq-server'.");
        }

        var directory = Directory.CreateTempSubdirectory("ldfleet-rabbitmq-").FullName;
        var port = FreePort.Next();
        var distPort = FreePort.Next();
        var epmdPort = FreePort.Next();
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        foreach (var sub in new[] { "home", "mnesia", "log" })
        {
            Directory.CreateDirectory(Path.Combine(directory, sub));
        }

        var definitions = Path.Combine(directory, "definitions.json");
        await File.WriteAllTextAsync(definitions, Definitions(queues, password));
        await File.WriteAllTextAsync(Path.Combine(directory, "rabbitmq-env.conf"), "");
        await File.WriteAllTextAsync(Path.Combine(directory, "rabbitmq.conf"),
            $"listeners.tcp.default = 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}\n" +
            $"load_definitions = {definitions}\n" +
            "amqp1_0.default_user = none\n");

        var process = ChildProcess.Start("rabbitmq-server", ServerScript, [], Environment(directory, port, distPort, epmdPort), directory);
        var server = new RabbitMqServer(process, directory, port, distPort, epmdPort, password);
        try
        {
            await server.WaitUntilReadyAsync(timeout ?? ReadyTimeout);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops the broker the way an operator or a host reboot would (SIGTERM), keeping its data; clients see the
    /// connection drop until <see cref="StartAgainAsync"/>. Durable messages survive, as on a real broker.
    /// </summary>
    public Task StopAsync() => _process.TerminateAsync(TimeSpan.FromSeconds(60));

    // Erlang boots slowly on a saturated 2-core machine (a restart once took over 90 s under a load average of 40).
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(180);

    /// <summary>Starts the stopped broker again on the same port with the same data.</summary>
    public async Task StartAgainAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            throw new InvalidOperationException("The broker is still running.");
        }

        await _process.DisposeAsync();
        _process = ChildProcess.Start("rabbitmq-server", ServerScript, [], Environment(_directory, Port, _distPort, _epmdPort), _directory);
        await WaitUntilReadyAsync(timeout ?? ReadyTimeout);
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        await _process.WaitForLineAsync(l => l.Contains("Starting broker... completed", StringComparison.Ordinal), timeout);
        await Poll.UntilAsync(() => Task.FromResult(CanConnect(Port)), ok => ok, TimeSpan.FromSeconds(10), $"RabbitMQ to accept connections on 127.0.0.1:{Port}");
    }

    public async ValueTask DisposeAsync()
    {
        // Killing the tree is enough for a throw-away node; epmd daemonised itself out of the tree, so it is
        // told to stop on its private port.
        await _process.DisposeAsync();
        await StopEpmdAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying Erlang process; the OS cleans the temp folder later.
        }
    }

    private async Task StopEpmdAsync()
    {
        // epmd refuses "-kill" while it still lists a live node, and the killed node's registration can outlive
        // it for a moment: ask until it answers "Killed" or is no longer there.
        var epmd = File.Exists("/usr/bin/epmd") ? "/usr/bin/epmd" : "epmd";
        var environment = new Dictionary<string, string?> { ["ERL_EPMD_PORT"] = _epmdPort.ToString(CultureInfo.InvariantCulture) };
        try
        {
            await Poll.UntilAsync(async () =>
            {
                await using var kill = ChildProcess.Start("epmd", epmd, ["-kill"], environment, _directory);
                await Poll.UntilAsync(() => Task.FromResult(kill.HasExited), done => done, TimeSpan.FromSeconds(5), "epmd -kill to finish");
                return kill.Lines.Any(l => l.Contains("Killed", StringComparison.Ordinal) || l.Contains("Cannot connect", StringComparison.Ordinal));
            }, stopped => stopped, TimeSpan.FromSeconds(10), $"the private epmd on port {_epmdPort} to stop");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or TimeoutException or InvalidOperationException)
        {
            // Nothing more can be done from here; the broker itself is gone already.
        }
    }

    private static Dictionary<string, string?> Environment(string directory, int port, int distPort, int epmdPort) => new()
    {
        ["HOME"] = Path.Combine(directory, "home"),
        ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(directory, "rabbitmq-env.conf"),
        ["RABBITMQ_CONFIG_FILE"] = Path.Combine(directory, "rabbitmq.conf"),
        ["RABBITMQ_NODENAME"] = $"ldfleet{port.ToString(CultureInfo.InvariantCulture)}@localhost",
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_DIST_PORT"] = distPort.ToString(CultureInfo.InvariantCulture),
        ["ERL_EPMD_PORT"] = epmdPort.ToString(CultureInfo.InvariantCulture),
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(directory, "enabled_plugins"),
        ["RABBITMQ_ENABLED_PLUGINS"] = "rabbitmq_amqp1_0",
        ["RABBITMQ_PID_FILE"] = Path.Combine(directory, "rabbitmq.pid"),
        ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
    };

    /// <summary>
    /// Boot-time definitions. With <c>load_definitions</c> RabbitMQ creates no default vhost or user, so both
    /// are declared here along with the queues.
    /// </summary>
    private static string Definitions(IReadOnlyCollection<RabbitMqQueue> queues, string password)
    {
        var declared = new List<object>();
        foreach (var queue in queues)
        {
            var arguments = new Dictionary<string, object>();
            if (queue.DeliveryLimit is { } limit)
            {
                arguments["x-queue-type"] = "quorum";
                arguments["x-delivery-limit"] = limit;
            }

            if (queue.DeadLetterQueue is { } dlq)
            {
                arguments["x-dead-letter-exchange"] = "";
                arguments["x-dead-letter-routing-key"] = dlq;
                declared.Add(new { name = dlq, vhost = "/", durable = true, auto_delete = false, arguments = new Dictionary<string, object>() });
            }

            declared.Add(new { name = queue.Name, vhost = "/", durable = true, auto_delete = false, arguments });
        }

        var document = new
        {
            vhosts = new[] { new { name = "/" } },
            users = new[] { new { name = User, password_hash = HashPassword(password), hashing_algorithm = "rabbit_password_hashing_sha256", tags = new[] { "administrator" } } },
            permissions = new[] { new { user = User, vhost = "/", configure = ".*", write = ".*", read = ".*" } },
            queues = declared,
        };
        return JsonSerializer.Serialize(document);
    }

    // rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ utf8(password))) with a 4-byte salt.
    private static string HashPassword(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(4);
        var hash = SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes(password)]);
        return Convert.ToBase64String([.. salt, .. hash]);
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
