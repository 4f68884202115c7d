using System.Collections.Immutable;
using System.Globalization;
using LdFleet.Protocol.Sites;
using LdFleet.Protocol.Validation;
using A = LdFleet.Protocol.Commands.EmulatorActions;
using P = LdFleet.Protocol.Commands.CommandParameters;

namespace LdFleet.Functions.Operations.Workflows;

/// <summary>A request to run one workflow against one emulator (or host).</summary>
internal sealed record OperationRequest
{
    public required string Workflow { get; init; }

    public required string SiteId { get; init; }

    public required string HostId { get; init; }

    public int? Index { get; init; }

    public IReadOnlyDictionary<string, string>? Parameters { get; init; }

    /// <summary>For <c>sequence</c>: the commands to run in order.</summary>
    public IReadOnlyList<SequenceStep>? Steps { get; init; }
}

/// <summary>
/// Checks a request before anything is recorded, naming the offending field (<c>parameters.title</c>,
/// <c>steps[2].parameters.key</c>). Every parameter value passes the shared <see cref="ParameterRules"/>, which the
/// relay applies again before it runs anything (it is the last line before a process starts on someone's PC); this
/// gives callers the error at once instead of a failed operation minutes later.
/// </summary>
internal static class OperationRequestValidator
{
    public const int MaxIndex = 99_999;
    public const int MaxSequenceSteps = 50;
    public const int MaxApps = 20;

    private static readonly ImmutableHashSet<string> KnownParameters = typeof(P)
        .GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)
        .Concat([WorkflowCatalog.CopyFrom, WorkflowCatalog.Apps, WorkflowCatalog.RunApp])
        .ToImmutableHashSet(StringComparer.Ordinal);

    public static Dictionary<string, string[]> Validate(OperationRequest request, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Error(string field, string message) => errors[prefix + field] = [message];

        if (string.IsNullOrEmpty(request.Workflow) || !WorkflowCatalog.Exists(request.Workflow))
        {
            Error("workflow", $"Unknown workflow '{request.Workflow}'. Known: {string.Join(", ", WorkflowCatalog.All.Order(StringComparer.Ordinal))}.");
            return errors;
        }

        if (FleetIds.ValidateSiteId(request.SiteId) is { } siteError)
        {
            Error("siteId", siteError);
        }

        if (FleetIds.ValidateHostId(request.HostId) is { } hostError)
        {
            Error("hostId", hostError);
        }

        if (request.Index is < 0 or > MaxIndex)
        {
            Error("index", $"An emulator index is a whole number from 0 to {MaxIndex}.");
        }
        else if (request.Index is null && !WorkflowCatalog.NeedsNoEmulator(request.Workflow))
        {
            Error("index", $"Workflow '{request.Workflow}' needs an emulator index.");
        }

        var parameters = request.Parameters ?? ImmutableDictionary<string, string>.Empty;
        ValidateParameters(request.Workflow, parameters, "parameters", errors, prefix);
        var required = request.Workflow switch
        {
            WorkflowCatalog.Rename or A.Rename => [P.Title],
            WorkflowCatalog.Recycle or A.Backup or A.Restore => [P.File],
            A.LaunchEx or A.UninstallApp or A.RunApp or A.KillApp => [P.PackageName],
            A.Adb => [P.Command],
            A.SetProp or A.Action => [P.Key, P.Value],
            A.Locate => [P.Longitude, P.Latitude],
            A.DownCpu => [P.Rate],
            A.InstallApp when !parameters.ContainsKey(P.ApkPath) => [P.PackageName],
            _ => Array.Empty<string>(),
        };
        foreach (var name in required.Where(n => !parameters.ContainsKey(n)))
        {
            Error($"parameters.{name}", $"Workflow '{request.Workflow}' needs parameter '{name}'.");
        }

        if (request.Workflow is WorkflowCatalog.Modify && !parameters.Keys.Any(WorkflowCatalog.ProfileParameters.Contains))
        {
            Error("parameters", $"Workflow 'modify' needs at least one of: {string.Join(", ", WorkflowCatalog.ProfileParameters.Order(StringComparer.Ordinal))}.");
        }

        if (parameters.TryGetValue(WorkflowCatalog.CopyFrom, out var template)
            && !(int.TryParse(template, NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t <= MaxIndex))
        {
            Error($"parameters.{WorkflowCatalog.CopyFrom}", "The template is an emulator index, a whole number from 0 to 99999.");
        }

        if (WorkflowCatalog.AppsOf(parameters).Count > MaxApps)
        {
            Error($"parameters.{WorkflowCatalog.Apps}", $"At most {MaxApps} apps per provision.");
        }
        else if (parameters.ContainsKey(WorkflowCatalog.Apps) && WorkflowCatalog.AppsOf(parameters).Select(AppError).FirstOrDefault(e => e is not null) is { } appError)
        {
            Error($"parameters.{WorkflowCatalog.Apps}", appError);
        }

        if (request.Workflow == WorkflowCatalog.Sequence)
        {
            ValidateSequence(request.Steps, errors, prefix);
        }
        else if (request.Steps is { Count: > 0 })
        {
            Error("steps", "Only the 'sequence' workflow takes steps.");
        }

        return errors;
    }

    private static void ValidateSequence(IReadOnlyList<SequenceStep>? steps, Dictionary<string, string[]> errors, string prefix)
    {
        if (steps is not { Count: > 0 and <= MaxSequenceSteps })
        {
            errors[prefix + "steps"] = [$"A sequence has 1 to {MaxSequenceSteps} steps."];
            return;
        }

        for (var i = 0; i < steps.Count; i++)
        {
            var field = string.Create(CultureInfo.InvariantCulture, $"steps[{i}]");
            if (steps[i] is null || !ActionPolicy.Exists(steps[i].Action) || steps[i].Action is A.Cancel)
            {
                errors[prefix + field + ".action"] = [$"Unknown action '{steps[i]?.Action}'."];
                continue;
            }

            ValidateParameters(steps[i].Action, steps[i].Parameters ?? ImmutableDictionary<string, string>.Empty, field + ".parameters", errors, prefix);
        }
    }

    private static void ValidateParameters(string action, IReadOnlyDictionary<string, string> parameters, string field, Dictionary<string, string[]> errors, string prefix)
    {
        foreach (var (name, value) in parameters)
        {
            if (!KnownParameters.Contains(name))
            {
                errors[$"{prefix}{field}.{name}"] = ["Unknown parameter."];
            }
            else if (Rule(action, name, value) is { } problem)
            {
                errors[$"{prefix}{field}.{name}"] = [$"{name} {problem}"];
            }
        }
    }

    /// <summary>The shared rule for a command parameter; the workflow-level ones (provision's apps, runApp, copyFrom) are built from them.</summary>
    private static string? Rule(string action, string name, string? value) => name switch
    {
        _ when value is null => "is required.",
        WorkflowCatalog.RunApp => ParameterRules.PackageName(value),

        // One text rule first (length, controls, bidi), then each entry's own rule.
        WorkflowCatalog.Apps => TextRules.Check(value, ParameterRules.MaxTextLength),
        WorkflowCatalog.CopyFrom => null,
        _ => ParameterRules.Check(name, value, action),
    };

    /// <summary>An entry of provision's <c>apps</c>: an <c>.apk</c> path on the host, or a package name.</summary>
    private static string? AppError(string app) =>
        WorkflowCatalog.IsApkPath(app)
            ? ParameterRules.HostPath(app, ".apk") is { } pathError ? $"entry '{app}' {pathError}" : null
            : ParameterRules.PackageName(app) is { } nameError ? $"entry '{app}' {nameError}" : null;
}
