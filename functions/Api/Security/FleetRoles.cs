namespace LdFleet.Functions.Api.Security;

/// <summary>
/// The Entra ID app roles of the LdFleet API (declared in the app registration's <c>appRoles</c>, arriving in
/// the token's <c>roles</c> claim). Each role includes the ones below it: Admin can operate and read,
/// Operate can read.
/// </summary>
internal static class FleetRoles
{
    public const string Read = "Fleet.Read";
    public const string Operate = "Fleet.Operate";
    public const string Admin = "Fleet.Admin";

    public static IReadOnlyList<string> All { get; } = [Read, Operate, Admin];

    /// <summary>The roles that satisfy <paramref name="role"/>.</summary>
    public static IReadOnlyList<string> Satisfying(string role) => role switch
    {
        Read => [Read, Operate, Admin],
        Operate => [Operate, Admin],
        Admin => [Admin],
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown fleet role."),
    };
}

/// <summary>
/// Authorization policy names. Every API endpoint names exactly one (or is explicitly anonymous); the
/// role-matrix test fails for any endpoint that does not.
/// </summary>
internal static class FleetPolicies
{
    /// <summary>Reads: inventory, sites, operations, apps.</summary>
    public const string Read = "Fleet.Read";

    /// <summary>Actions on emulators: start operations and batches, label, upload apps.</summary>
    public const string Operate = "Fleet.Operate";

    /// <summary>Sites, hosts, relay credentials, raw adb, audit.</summary>
    public const string Admin = "Fleet.Admin";

    public static IReadOnlyList<string> All { get; } = [Read, Operate, Admin];
}
