using System.Text.Json;
using LdFleet.Functions.Durable;
using LdFleet.Functions.Hosting.Functions;
using LdFleet.Functions.Tests.Api;
using LdFleet.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace LdFleet.Functions.Tests.Hosting;

/// <summary>
/// One route table for both hostings: every HTTP function the build wrote into <c>functions.metadata</c> is an endpoint
/// the self-hosted app serves with the same route, method and policy, and every self-hosted endpoint is such a function.
/// The same holds for the orchestrators and activities: what the Functions worker is given is what runs self-hosted.
/// </summary>
[Collection("api")]
public sealed class FunctionsParityTests
{
    private readonly ApiFixture _fixture;

    public FunctionsParityTests(ApiFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task EveryHttpFunction_IsASelfHostedEndpoint_AndEveryEndpointAFunction()
    {
        // Everything configuration can turn off is on here.
        await using var app = FleetApp.Start(_fixture.Azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Diagnostics:StorageCounters"] = "true",
            ["Api:ExposeDocs"] = "true",
            ["Dashboard:Enabled"] = "true",
            ["RelayResults:Enabled"] = "false",
            ["Cleanup:Enabled"] = "false",
        });
        var functions = MetadataFunctions().Where(f => f.Trigger == "httpTrigger").ToList();
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var problems = new List<string>();

        foreach (var function in functions)
        {
            var matches = endpoints.Where(e => FunctionsApi.Normalize(e.RoutePattern.RawText) == function.Route
                && (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).SequenceEqual(function.Methods)).ToList();
            if (matches.Count != 1)
            {
                problems.Add($"function {function.Name} ({string.Join(",", function.Methods)} {function.Route}) matches {matches.Count} self-hosted endpoints");
            }
        }

        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            if (!functions.Any(f => f.Route == FunctionsApi.Normalize(endpoint.RoutePattern.RawText) && f.Methods.SequenceEqual(methods)))
            {
                problems.Add($"self-hosted endpoint {string.Join(",", methods)} {endpoint.RoutePattern.RawText} is no function");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));

        // Under the host the function runs the very endpoint (policy included) that self-hosting routes to.
        Assert.Equal(
            functions.Select(f => f.Name).Order(StringComparer.Ordinal),
            FunctionsApi.HttpFunctions().Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.All(endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null), e =>
            Assert.NotEmpty(e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>()));
    }

    [Fact]
    public void FunctionsHostAndSelfHosting_RunTheSameOrchestratorsAndActivities()
    {
        var underHost = new DurableTaskRegistry();
        FleetTasks.Register(underHost);
        var selfHosted = new DurableTaskRegistry();
        FleetTasks.Register(selfHosted);
        FleetTasks.RegisterClientActivities(selfHosted);

        // Under the host the registry's tasks become functions at start-up; the client activities are explicit functions.
        var explicitActivities = MetadataFunctions().Where(f => f.Trigger == "activityTrigger").Select(f => f.Name);
        Assert.Equal(
            selfHosted.GetActivities().Select(a => a.Key.Name).Order(StringComparer.Ordinal),
            underHost.GetActivities().Select(a => a.Key.Name).Concat(explicitActivities).Order(StringComparer.Ordinal));
        Assert.Equal(selfHosted.GetOrchestrators().Select(o => o.Key.Name), underHost.GetOrchestrators().Select(o => o.Key.Name));
        Assert.DoesNotContain(MetadataFunctions(), f => f.Trigger == "orchestrationTrigger");
    }

    [Fact]
    public void Metadata_HasTheQueueAndTimerTriggers_WithTaskHubClients()
    {
        var functions = MetadataFunctions();

        var results = Assert.Single(functions, f => f.Name == RelayResultsFunction.Name);
        Assert.Equal("queueTrigger", results.Trigger);
        var cleanup = Assert.Single(functions, f => f.Name == CleanupFunction.Name);
        Assert.Equal("timerTrigger", cleanup.Trigger);
        Assert.All(functions, f => Assert.Contains("durableClient", f.Bindings));
    }

    internal sealed record MetadataFunction(string Name, string Trigger, string Route, IReadOnlyList<string> Methods, IReadOnlyList<string> Bindings);

    /// <summary>The functions the build wrote next to the app (what the Functions host reads).</summary>
    internal static List<MetadataFunction> MetadataFunctions()
    {
        var path = Path.Combine(Path.GetDirectoryName(RepoPaths.FunctionsDll)!, "functions.metadata");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return [.. document.RootElement.EnumerateArray().Select(f =>
        {
            var bindings = f.GetProperty("bindings").EnumerateArray().ToList();
            var trigger = bindings.First(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
            return new MetadataFunction(
                f.GetProperty("name").GetString()!,
                trigger.GetProperty("type").GetString()!,
                trigger.TryGetProperty("route", out var route) ? FunctionsApi.Normalize(route.GetString()) : "",
                trigger.TryGetProperty("methods", out var methods) ? [.. methods.EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant())] : [],
                [.. bindings.Select(b => b.GetProperty("type").GetString()!)]);
        })];
    }
}
