using LdFleet.Testing;

namespace LdFleet.EndToEnd.Tests;

/// <summary>A fleet whose Azurite keeps its data on disk, so it can go down and come back.</summary>
public sealed class PersistentFleetFixture : FleetFixture
{
    protected override bool PersistentStorage => true;
}

/// <summary>Storage outages lose nothing: every accepted operation completes once storage is back.</summary>
public sealed class StorageOutageTests : IClassFixture<PersistentFleetFixture>
{
    private readonly PersistentFleetFixture _fleet;

    public StorageOutageTests(PersistentFleetFixture fleet) => _fleet = fleet;

    [Fact]
    public Task AzuriteRestartDuring200Operations_AllComplete() =>
        OutageScenario.RunAsync(_fleet, _fleet.Storage.StopAsync, _fleet.Storage.StartAgainAsync);
}
