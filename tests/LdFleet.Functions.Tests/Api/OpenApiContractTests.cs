using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LdFleet.Testing;

namespace LdFleet.Functions.Tests.Api;

/// <summary>
/// The OpenAPI document is the API's contract for generated clients and for the hostile-input probe: it is linted with
/// Redocly CLI (recommended rules) and Spectral (spectral:oas), both pinned in package.json and installed by
/// <c>npm ci</c>, and checked here directly so a regression reads as a sentence even where the linters are not the cause.
/// </summary>
[Collection("api")]
public sealed class OpenApiContractTests
{
    /// <summary>The resource groups of the API; a tag outside this set is usually a C# class name leaking in.</summary>
    private static readonly HashSet<string> ResourceTags = ["Sites", "Hosts", "Emulators", "Operations", "Batches", "Apps", "Audit", "Health"];

    private static readonly string[] AnonymousPaths = ["/health/live", "/health/ready"];

    private readonly ApiFixture _fixture;

    public OpenApiContractTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Document_DescribesEveryOperation_WithTagsResponsesAndTypes()
    {
        var document = await DocumentAsync();
        var operations = Operations(document).ToList();
        Assert.NotEmpty(operations);

        var tags = document.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.TryGetProperty("description", out var d) ? d.GetString() : null);
        Assert.All(tags, t => Assert.False(string.IsNullOrWhiteSpace(t.Value), $"tag {t.Key} has no description"));
        Assert.Equal(ResourceTags.Order(StringComparer.Ordinal), tags.Keys.Order(StringComparer.Ordinal));
        Assert.All(AnonymousPaths, p => Assert.Contains(operations, o => o.Path == p));

        var failures = new List<string>();
        foreach (var (path, method, operation) in operations)
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            if (Text(operation, "summary") is null)
            {
                failures.Add($"{name}: no summary");
            }

            if (Text(operation, "description") is null)
            {
                failures.Add($"{name}: no description");
            }

            var operationTags = operation.TryGetProperty("tags", out var t) ? t.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            if (operationTags.Count == 0 || operationTags.Any(x => !tags.ContainsKey(x)))
            {
                failures.Add($"{name}: tags [{string.Join(", ", operationTags)}] are not all resource tags declared at document level");
            }

            var responses = operation.GetProperty("responses");
            var anonymous = AnonymousPaths.Contains(path);
            foreach (var status in anonymous ? [] : new[] { "401", "403", "429" })
            {
                if (!responses.TryGetProperty(status, out _))
                {
                    failures.Add($"{name}: does not document {status}");
                }
            }

            if (!anonymous && !operation.TryGetProperty("security", out _))
            {
                failures.Add($"{name}: no security requirement");
            }

            // The readiness probe's 503 is its health report, which probes read; every other error is a problem.
            foreach (var response in responses.EnumerateObject().Where(r => r.Name[0] is '4' or '5' && !anonymous))
            {
                var problem = response.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out var media)
                    ? media.GetProperty("schema").GetRawText()
                    : null;
                if (problem is null || !(problem.Contains("#/components/schemas/ProblemDetails", StringComparison.Ordinal) || problem.Contains("#/components/schemas/HttpValidationProblemDetails", StringComparison.Ordinal)))
                {
                    failures.Add($"{name}: {response.Name} is not application/problem+json with the problem schema");
                }
            }

            foreach (var parameter in operation.TryGetProperty("parameters", out var p) ? p.EnumerateArray() : default)
            {
                var parameterName = parameter.GetProperty("name").GetString();
                if (parameterName is "pageSize" or "index" && Text(parameter.GetProperty("schema"), "type") != "integer")
                {
                    failures.Add($"{name}: parameter {parameterName} is not an integer");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        var servers = document.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("url").GetString()!).ToList();
        Assert.All(servers, s => Assert.False(s.EndsWith('/'), $"server URL {s} ends with a slash"));
        var info = document.GetProperty("info");
        Assert.NotNull(Text(info.GetProperty("contact"), "name"));
        Assert.NotNull(Text(info.GetProperty("license"), "name"));
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("JWT", schemes.GetProperty("bearer").GetProperty("bearerFormat").GetString());
    }

    [Fact]
    public async Task Document_PassesRedoclyRecommended_WithoutErrorsOrWarnings()
    {
        var file = await WriteDocumentAsync();
        try
        {
            // JSON output carries the totals; the exit code alone would let warnings through.
            var config = Path.Combine(RepoPaths.Root, "redocly.yaml");
            var (exit, output) = await RunAsync("redocly", "lint", "--config", config, "--extends=recommended", "--format=json", file);
            var json = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]).RootElement;
            var totals = json.GetProperty("totals");
            var problems = json.GetProperty("problems").EnumerateArray()
                .Select(p => $"{p.GetProperty("severity").GetString()} {p.GetProperty("ruleId").GetString()}: {p.GetProperty("message").GetString()} at {string.Join(", ", p.GetProperty("location").EnumerateArray().Select(l => l.GetProperty("pointer").GetString()))}");
            Assert.True(
                totals.GetProperty("errors").GetInt32() == 0 && totals.GetProperty("warnings").GetInt32() == 0,
                $"redocly lint (exit {exit}): {totals.GetRawText()}\n{string.Join("\n", problems)}");
            Assert.Equal(0, exit);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Document_PassesSpectralOas_WithoutErrorsOrWarnings()
    {
        var file = await WriteDocumentAsync();
        try
        {
            var ruleset = Path.Combine(RepoPaths.Root, ".spectral.yaml");
            var (exit, output) = await RunAsync("spectral", "lint", "--ruleset", ruleset, "--format", "json", "--fail-severity", "warn", "--quiet", file);

            // Severities: 0 error, 1 warning, 2 information, 3 hint. "No results" is printed instead of [] when clean.
            var start = output.IndexOf('[', StringComparison.Ordinal);
            var results = start < 0 ? [] : JsonDocument.Parse(output[start..]).RootElement.EnumerateArray().Where(r => r.GetProperty("severity").GetInt32() <= 1).ToList();
            Assert.True(
                results.Count == 0,
                $"spectral lint (exit {exit}):\n" + string.Join("\n", results.Select(r => $"{r.GetProperty("code").GetString()}: {r.GetProperty("message").GetString()} at {string.Join(".", r.GetProperty("path").EnumerateArray().Select(s => s.ToString()))}")));
            Assert.True(exit == 0, $"spectral lint exited {exit}: {output}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<JsonElement> DocumentAsync()
    {
        using var client = _fixture.SelfHosted.Anonymous();
        return await client.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));
    }

    private async Task<string> WriteDocumentAsync()
    {
        using var client = _fixture.SelfHosted.Anonymous();
        var text = await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var file = Path.Combine(Path.GetTempPath(), $"ldfleet-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return file;
    }

    /// <summary>Runs a linter installed by <c>npm ci</c> in the repository's node_modules, never one fetched on the fly.</summary>
    private static async Task<(int Exit, string Output)> RunAsync(string tool, params string[] arguments)
    {
        var bin = Path.Combine(RepoPaths.Root, "node_modules", ".bin", OperatingSystem.IsWindows() ? tool + ".cmd" : tool);
        Assert.True(File.Exists(bin), $"{bin} is missing: run npm ci in {RepoPaths.Root} (./dev.sh test does).");
        var start = new ProcessStartInfo(bin)
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // No telemetry or update checks from a test run; colours would garble the JSON.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        start.Environment["NO_COLOR"] = "1";
        start.Environment["FORCE_COLOR"] = "0";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} did not finish within 3 minutes: {await stderr}");
        }

        var output = await stdout;
        return (process.ExitCode, output.Length > 0 && (output.Contains('{', StringComparison.Ordinal) || output.Contains('[', StringComparison.Ordinal)) ? output : output + await stderr);
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(o => o.Name is "get" or "put" or "post" or "delete" or "patch").Select(o => (p.Name, o.Name, o.Value)));

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString())
            ? value.GetString()
            : null;
}
