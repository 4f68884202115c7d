using System.ComponentModel.DataAnnotations;

namespace LdFleet.Protocol.Transport;

/// <summary>Which message transport to use, picked by the shape of the connection string.</summary>
public sealed class TransportOptions
{
    public const string SectionName = "Transport";

    /// <summary>
    /// An Azure Storage connection string (<c>UseDevelopmentStorage=true</c>, or one with a QueueEndpoint or
    /// AccountName) selects Storage Queues; <c>Endpoint=sb://...</c> selects Azure Service Bus over AMQP 1.0;
    /// <c>amqp://user:password@host:port</c> selects a plain AMQP 1.0 broker (RabbitMQ 3.10, the local stand-in
    /// for Service Bus). Tuning for the AMQP transports lives in <c>Transport:Amqp</c>.
    /// </summary>
    [Required(ErrorMessage = "Transport:ConnectionString is required (an Azure Storage connection string such as UseDevelopmentStorage=true, a Service Bus connection string, or amqp://user:password@host:port).")]
    public string ConnectionString { get; set; } = "";
}
