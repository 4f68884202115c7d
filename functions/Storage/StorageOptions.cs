using System.ComponentModel.DataAnnotations;

namespace LdFleet.Functions.Storage;

/// <summary>Where the cloud app keeps its state (Azure Tables).</summary>
internal sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>An Azure Storage connection string; <c>UseDevelopmentStorage=true</c> or a full Azurite string locally.</summary>
    [Required(ErrorMessage = "Storage:ConnectionString is required (an Azure Storage connection string; locally the Azurite one).")]
    public string ConnectionString { get; set; } = "";
}
