namespace LdFleet.Functions;

/// <summary>Stable RFC 7807 problem types: clients switch on these, never on titles or details.</summary>
internal static class ProblemTypes
{
    private const string Base = "https://ldfleet.dev/problems/";

    public const string Validation = Base + "validation";
    public const string NotFound = Base + "not-found";
    public const string Conflict = Base + "conflict";
    public const string Unexpected = Base + "unexpected";
}
