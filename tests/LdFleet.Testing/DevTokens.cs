using System.Security.Cryptography;

namespace LdFleet.Testing;

/// <summary>
/// Tokens of the cloud app's development issuer for clients of the app run as a process: the app's own
/// <c>dev-token</c> command mints them with the same key the app was started with.
/// </summary>
public static class DevTokens
{
    /// <summary>A fresh signing key (base64 of 32 random bytes).</summary>
    public static string NewSigningKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The environment that turns the development issuer on with <paramref name="signingKey"/>.</summary>
    public static Dictionary<string, string?> Environment(string signingKey) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Auth__DevIssuer__Enabled"] = "true",
        ["Auth__DevIssuer__SigningKey"] = signingKey,
    };

    public static async Task<string> MintAsync(string signingKey, string role, string name = "tests")
    {
        await using var mint = ChildProcess.Start("dev-token", "dotnet", ["exec", RepoPaths.FunctionsDll, "dev-token", "--role", role, "--name", name], Environment(signingKey));

        // Output can arrive after the process is seen to exit, so wait for the line itself.
        return (await Poll.UntilAsync(
            () => Task.FromResult(mint.Lines.FirstOrDefault(l => l.StartsWith("ey", StringComparison.Ordinal))),
            line => line is not null,
            TimeSpan.FromSeconds(60),
            "dev-token to print a token"))!;
    }
}
