using LdFleet.Protocol.Sites;

namespace LdFleet.Protocol.Tests.Sites;

public sealed class FleetIdsTests
{
    [Theory]
    [InlineData("lab")]
    [InlineData("site-01")]
    [InlineData("a")]
    [InlineData("0123456789012345678901234567890123456789")]
    public void ValidateSiteId_Valid_ReturnsNull(string siteId) => Assert.Null(FleetIds.ValidateSiteId(siteId));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("Lab")]
    [InlineData("-lab")]
    [InlineData("lab-")]
    [InlineData("la--b")]
    [InlineData("la_b")]
    [InlineData("lab\n")]
    [InlineData("../etc")]
    [InlineData("01234567890123456789012345678901234567890")]
    public void ValidateSiteId_Invalid_ExplainsWhy(string? siteId) => Assert.NotNull(FleetIds.ValidateSiteId(siteId));

    [Theory]
    [InlineData("host-1", true)]
    [InlineData("PC_07.lan", true)]
    [InlineData("", false)]
    [InlineData(".hidden", false)]
    [InlineData("a b", false)]
    [InlineData("a/b", false)]
    public void ValidateHostId_FollowsTheRules(string hostId, bool valid) => Assert.Equal(valid, FleetIds.ValidateHostId(hostId) is null);

    [Fact]
    public void CommandsQueue_IsNamedFromTheSite() => Assert.Equal("ldfleet-site-lab", QueueNames.Commands("lab"));

    [Fact]
    public void CommandsQueue_InvalidSite_Throws() => Assert.Throws<ArgumentException>(() => QueueNames.Commands("Bad Site"));

    [Fact]
    public void CommandsQueue_LongestSiteId_FitsStorageQueueNameLimit() =>
        Assert.True(QueueNames.Commands(new string('a', FleetIds.MaxSiteIdLength)).Length + "-poison".Length <= 63);
}
