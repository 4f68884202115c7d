namespace LdFleet.Functions.Storage;

/// <summary>Where the cloud app keeps its state (Azure Tables).</summary>
internal sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>An Azure Storage connection string; <c>UseDevelopmentStorage=true</c> or a full Azurite string locally.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The Table service endpoint (<c>https://&lt;account&gt;.table.core.windows.net/</c>), used with Entra ID instead of a
    /// connection string: Azure.Identity's DefaultAzureCredential, which in Azure is the managed identity that
    /// <c>AZURE_CLIENT_ID</c> names. The account then allows no shared keys at all (infra/modules/storage.bicep).
    /// </summary>
    public Uri? TableServiceUri { get; set; }
}
