using Microsoft.DurableTask.Client;

namespace LdFleet.Functions.Durable;

/// <summary>
/// The task hub client of the current unit of work. Self-hosted there is one client for the process. Under the
/// Functions host a client comes only with a <c>[DurableClient]</c> binding, so each function that has one hands it
/// over here before it calls the app's services, which take the client from this scope in both hostings.
/// </summary>
internal sealed class DurableClientScope
{
    private DurableTaskClient? _client;

    public DurableClientScope(DurableTaskClient? processClient = null) => _client = processClient;

    public DurableTaskClient Client => _client ?? throw new InvalidOperationException(
        "No Durable Task client in this scope: under the Functions host a function must hand over its [DurableClient] binding before calling services that need one.");

    public void Use(DurableTaskClient client) => _client = client ?? throw new ArgumentNullException(nameof(client));
}
