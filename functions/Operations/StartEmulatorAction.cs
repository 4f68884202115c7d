namespace LdFleet.Functions.Operations;

/// <summary>A validated request to run one emulator action.</summary>
internal sealed record StartEmulatorAction(string SiteId, string HostId, int Index, string Action);
