using System.ComponentModel.DataAnnotations;

namespace LdFleet.Protocol.Transport.Amqp;

/// <summary>How to authenticate to Service Bus when the connection string carries a SAS key.</summary>
public enum ServiceBusAuthentication
{
    /// <summary>
    /// A SAS key → SASL PLAIN with the rule name and key; a <c>SharedAccessSignature</c>, or no credentials at
    /// all (an <see cref="IServiceBusTokenProvider"/> is registered) → CBS.
    /// </summary>
    Auto,

    /// <summary>Always CBS put-token, signing SAS tokens from the key when the connection string has one.</summary>
    Cbs,
}

/// <summary>
/// Tuning for the AMQP 1.0 transport (Service Bus and the RabbitMQ stand-in), section <c>Transport:Amqp</c>.
/// The connection itself comes from <c>Transport:ConnectionString</c>.
/// </summary>
public sealed class AmqpTransportOptions
{
    public const string SectionName = "Transport:Amqp";

    /// <summary>See <see cref="ServiceBusAuthentication"/>.</summary>
    public ServiceBusAuthentication Authentication { get; set; } = ServiceBusAuthentication.Auto;

    /// <summary>
    /// Extra messages a receiver may hold locked beyond what a receive asked for. 0 (the default) grants only
    /// the credit a receive asks for, because every prefetched message is locked and its lock clock runs while
    /// it waits in memory (reference A.4 "Locking and credit", A.6 "Prefetch").
    /// </summary>
    [Range(0, 500, ErrorMessage = "Transport:Amqp:PrefetchCount must be between 0 and 500.")]
    public int PrefetchCount { get; set; }

    /// <summary>How long a receive waits for the first message before it returns an empty list.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00", ErrorMessage = "Transport:Amqp:ReceiveWaitTime must be between 10 ms and 1 minute.")]
    public TimeSpan ReceiveWaitTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Timeout for connecting, attaching links, sends and management requests.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Transport:Amqp:OperationTimeout must be between 1 s and 10 minutes.")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The local AMQP idle timeout; the peer is asked to send heartbeats at half of it. The Service Bus SDK
    /// uses one minute (reference A.1, "AMQP idle timeout in AMQPNetLite").
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:10:00", ErrorMessage = "Transport:Amqp:IdleTimeout must be between 5 s and 10 minutes.")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The first wait after Service Bus answers <c>com.microsoft:server-busy</c>; later waits double with jitter.
    /// The classic .NET client waits 10 s (reference A.6, "Back-off").
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00", ErrorMessage = "Transport:Amqp:ServerBusyBackoff must be between 1 ms and 5 minutes.")]
    public TimeSpan ServerBusyBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a send is tried when the broker is busy or the connection dropped.</summary>
    [Range(1, 10, ErrorMessage = "Transport:Amqp:MaxSendAttempts must be between 1 and 10.")]
    public int MaxSendAttempts { get; set; } = 3;

    /// <summary>How long the SAS tokens signed from a key for CBS live.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Transport:Amqp:SasTokenLifetime must be between 1 s and 7 days.")]
    public TimeSpan SasTokenLifetime { get; set; } = TimeSpan.FromHours(1);
}
