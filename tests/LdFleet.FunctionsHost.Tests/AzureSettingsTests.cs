using LdFleet.FunctionsHost.Tests.HostDouble;
using LdFleet.Testing;

namespace LdFleet.FunctionsHost.Tests;

/// <summary>
/// The published worker started by the host double with the settings an Azure deployment has for the host
/// (identity-based <c>AzureWebJobsStorage__*</c>, no keys) but none of the app's storage settings: it refuses to
/// start, naming exactly what is missing, before it opens the host's stream.
/// </summary>
public sealed class AzureSettingsTests : IAsyncLifetime
{
    private FunctionsHostDouble? _host;
    private AzuriteServer? _azurite;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteServer.StartAsync();
        _host = await FunctionsHostDouble.StartAsync(_azurite.ConnectionString, "azurelike");
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    [Fact]
    public async Task IdentityBasedHostStorage_WithoutTheAppsStorageSettings_FailsNamingThem()
    {
        var directory = await PublishedApp.DirectoryAsync();
        var clientId = Guid.NewGuid().ToString();
        await using var worker = PublishedApp.StartWorker(directory, _host!.Address, "azure-like", new Dictionary<string, string?>
        {
            // What infra/modules/functionapp.bicep sets, less Storage__TableServiceUri.
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["AzureWebJobsStorage__accountName"] = "ldfleetexample",
            ["AzureWebJobsStorage__credential"] = "managedidentity",
            ["AzureWebJobsStorage__clientId"] = clientId,
            ["AZURE_CLIENT_ID"] = clientId,
            ["DurableTaskHub"] = "ldfleet",
            ["CleanupSchedule"] = "0 30 3 * * *",
            ["Transport__ConnectionString"] = "Endpoint=sb://ldfleet-example.servicebus.windows.net/",
            ["AzureAd__Instance"] = "https://login.microsoftonline.com/",
            ["AzureAd__TenantId"] = Guid.NewGuid().ToString(),
            ["AzureAd__ClientId"] = Guid.NewGuid().ToString(),
            ["AzureAd__Audience"] = "api://ldfleet-example",
        });

        await Poll.UntilAsync(() => Task.FromResult(worker.HasExited), exited => exited, WorkerUnderHost.StepTimeout, "the worker to give up\n" + worker.Tail());
        var output = await Poll.UntilAsync(
            () => Task.FromResult(string.Join('\n', worker.Lines)),
            text => text.Contains("OptionsValidationException", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            "the start-up error in the worker's output");

        // Exactly the app's storage, one error (several would come as an AggregateException): the message names both
        // ways to give it, and says that the host's storage setting is not it.
        Assert.Contains("Unhandled exception. Microsoft.Extensions.Options.OptionsValidationException: Storage:ConnectionString is required", output, StringComparison.Ordinal);
        Assert.Contains("Storage:TableServiceUri", output, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage is the Functions host's storage", output, StringComparison.Ordinal);
        Assert.DoesNotContain("AggregateException", output, StringComparison.Ordinal);

        // It failed before opening the host's stream: the host would see a worker that exited, with this on stderr.
        await Assert.ThrowsAsync<TimeoutException>(() => _host.WaitForWorkerAsync(TimeSpan.Zero));
    }
}
