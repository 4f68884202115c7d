using System.ComponentModel.DataAnnotations;

namespace LdFleet.Protocol.Transport;

/// <summary>Which message transport to use, picked by the shape of the connection string.</summary>
public sealed class TransportOptions
{
    public const string SectionName = "Transport";

    /// <summary>
    /// An Azure Storage connection string (<c>UseDevelopmentStorage=true</c>, or one with a QueueEndpoint or
    /// AccountName) selects Storage Queues.
    /// </summary>
    [Required(ErrorMessage = "Transport:ConnectionString is required (an Azure Storage connection string, e.g. UseDevelopmentStorage=true).")]
    public string ConnectionString { get; set; } = "";
}
