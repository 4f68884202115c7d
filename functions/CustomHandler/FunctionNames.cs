namespace LdFleet.Functions.CustomHandler;

/// <summary>
/// The function names, which are the folder names of the function.json files and the paths the host POSTs
/// to. Shared with the deployment (one function.json each).
/// </summary>
internal static class FunctionNames
{
    /// <summary>HTTP trigger forwarding every API request (enableForwardingHttpRequest): not an invocation endpoint.</summary>
    public const string Api = "api";

    /// <summary>Timer: fires due retries and deadlines (OperationSweeper.SweepOnceAsync).</summary>
    public const string Sweep = "sweep";

    /// <summary>Timer: purges finished operations and expired records.</summary>
    public const string Cleanup = "cleanup";

    /// <summary>serviceBusTrigger on queue ldfleet-results.</summary>
    public const string RelayResults = "relay-results";

    /// <summary>queueTrigger on Storage queue ldfleet-results.</summary>
    public const string RelayResultsStorage = "relay-results-storage";
}
