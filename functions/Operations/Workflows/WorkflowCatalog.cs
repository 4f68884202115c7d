using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using A = LdFleet.Protocol.Commands.EmulatorActions;
using P = LdFleet.Protocol.Commands.CommandParameters;

namespace LdFleet.Functions.Operations.Workflows;

/// <summary>What a workflow wants next, given the steps it has finished.</summary>
internal abstract record NextStep;

/// <summary>Run this command next.</summary>
/// <param name="AcceptedErrors">Failures the workflow handles itself (it reads the step and decides), rather than failing the operation.</param>
internal sealed record RunStep(string Name, string Action, int? Index, IReadOnlyDictionary<string, string> Parameters, FrozenSet<string>? AcceptedErrors = null) : NextStep;

/// <summary>The workflow is complete.</summary>
internal sealed record Finish(IReadOnlyDictionary<string, string> Result) : NextStep;

/// <summary>The workflow cannot go on.</summary>
internal sealed record Abort(OperationStatus Status, string? ErrorCode, string? Error) : NextStep;

/// <summary>
/// The workflows LdFleet runs. Each is a plan computed from what the finished steps established (pure; no I/O),
/// so a workflow can branch (delete skips the quit of a stopped emulator) and a crash-restart resumes exactly
/// where the row says it was.
/// </summary>
internal static class WorkflowCatalog
{
    public const string Provision = "provision";
    public const string Delete = "delete";
    public const string Rename = "rename";
    public const string Modify = "modify";
    public const string Recycle = "recycle";
    public const string Sequence = "sequence";

    /// <summary>Parameters of <c>modify</c> that make up an emulator profile.</summary>
    public static readonly FrozenSet<string> ProfileParameters = FrozenSet.Create(StringComparer.Ordinal,
        P.Resolution, P.Cpu, P.Memory, P.Manufacturer, P.Model, P.PhoneNumber, P.Imei, P.Imsi, P.SimSerial, P.AndroidId, P.Mac, P.Root, P.AutoRotate, P.LockWindow);

    /// <summary>Provision parameters: a template to copy (instead of a blank add), apps to install, an app to run at the end.</summary>
    public const string CopyFrom = "copyFrom";
    public const string Apps = "apps";
    public const string RunApp = "runApp";

    private static readonly FrozenSet<string> NotFound = FrozenSet.Create(StringComparer.Ordinal, "PlayerNotFound");

    public static readonly FrozenSet<string> Composite = FrozenSet.Create(StringComparer.Ordinal, Provision, Delete, Rename, Modify, Recycle, Sequence);

    /// <summary>Every workflow name: the composites plus one single-command workflow per action.</summary>
    public static IEnumerable<string> All => Composite.Concat(ActionPolicy.SingleCommandActions.Where(a => !Composite.Contains(a)));

    public static bool Exists(string workflow) => Composite.Contains(workflow) || ActionPolicy.SingleCommandActions.Contains(workflow);

    /// <summary>True when the workflow needs no existing emulator (it creates one, or acts on the host).</summary>
    public static bool NeedsNoEmulator(string workflow) => workflow is Provision or A.Add or A.QuitAll or A.GlobalSetting or A.SortWindows or A.TestConnection;

    /// <summary>The next thing to do. Only called when no step is in flight.</summary>
    public static NextStep Next(Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        foreach (var planned in Plan(operation))
        {
            var done = Find(operation, planned.Name);
            if (done is null)
            {
                return planned;
            }

            var accepted = done.Status == OperationStatus.Failed && planned.AcceptedErrors?.Contains(done.ErrorCode ?? "") == true;
            if (done.Status != OperationStatus.Succeeded && !accepted)
            {
                return new Abort(done.Status, done.ErrorCode, done.Error is null ? null : $"Step '{done.Name}' ({done.Action}): {done.Error}");
            }
        }

        return new Finish(ResultOf(operation));
    }

    private static IReadOnlyDictionary<string, string> ResultOf(Operation operation)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (operation.Workflow == Provision && Find(operation, "create") is { } create)
        {
            foreach (var (key, value) in create.Data)
            {
                result[key] = value;
            }
        }
        else if (operation.Steps.Length == 1)
        {
            foreach (var (key, value) in operation.Steps[0].Data)
            {
                result[key] = value;
            }
        }

        if (operation.Index is { } index)
        {
            result["index"] = index.ToString(CultureInfo.InvariantCulture);
        }

        return result;
    }

    private static IEnumerable<RunStep> Plan(Operation op) => op.Workflow switch
    {
        Provision => PlanProvision(op),
        Delete => PlanDelete(op),
        Rename => PlanWhileStopped(op, new RunStep("rename", A.Rename, op.Index, Pick(op.Parameters, P.Title))),
        Modify => PlanWhileStopped(op, new RunStep("modify", A.Modify, op.Index, Pick(op.Parameters, ProfileParameters))),
        Recycle => PlanRecycle(op),
        Sequence => op.Script.Select((s, i) => new RunStep(
            string.Create(CultureInfo.InvariantCulture, $"{i + 1}:{s.Action}"), s.Action, A.HostWide.Contains(s.Action) ? null : op.Index, s.Parameters ?? ImmutableDictionary<string, string>.Empty)),
        _ => [new RunStep(op.Workflow, op.Workflow, A.HostWide.Contains(op.Workflow) ? null : op.Index, op.Parameters)],
    };

    private static IEnumerable<RunStep> PlanProvision(Operation op)
    {
        var title = Pick(op.Parameters, P.Title);
        yield return op.Parameters.TryGetValue(CopyFrom, out var template)
            ? new RunStep("create", A.Copy, int.Parse(template, CultureInfo.InvariantCulture), title)
            : new RunStep("create", A.Add, null, title);

        // Everything after creation addresses the new emulator, whose index only the create step knows.
        var index = op.Index;
        var profile = Pick(op.Parameters, ProfileParameters);
        if (profile.Count > 0)
        {
            yield return new RunStep("modify", A.Modify, index, profile);
        }

        yield return new RunStep("launch", A.Launch, index, ImmutableDictionary<string, string>.Empty);
        yield return new RunStep("waitbooted", A.WaitBooted, index, Pick(op.Parameters, P.Timeout));
        foreach (var (app, i) in AppsOf(op.Parameters).Select((a, i) => (a, i)))
        {
            var parameters = IsApkPath(app)
                ? new Dictionary<string, string> { [P.ApkPath] = app }
                : new Dictionary<string, string> { [P.PackageName] = app };
            yield return new RunStep(string.Create(CultureInfo.InvariantCulture, $"install:{i + 1}"), A.InstallApp, index, parameters);
        }

        if (op.Parameters.TryGetValue(RunApp, out var run))
        {
            yield return new RunStep("runapp", A.RunApp, index, new Dictionary<string, string> { [P.PackageName] = run });
        }
    }

    private static IEnumerable<RunStep> PlanDelete(Operation op)
    {
        yield return new RunStep("status", A.Status, op.Index, ImmutableDictionary<string, string>.Empty, NotFound);
        var status = Find(op, "status")!;
        if (status.Status != OperationStatus.Succeeded)
        {
            yield break; // already gone: deleting it again is a success with nothing to do
        }

        if (status.Data.GetValueOrDefault("state") != "stopped")
        {
            yield return new RunStep("quit", A.Quit, op.Index, ImmutableDictionary<string, string>.Empty);
            yield return new RunStep("waitstopped", A.WaitStopped, op.Index, ImmutableDictionary<string, string>.Empty);
        }

        yield return new RunStep("remove", A.Remove, op.Index, ImmutableDictionary<string, string>.Empty);
    }

    /// <summary>Stops the emulator if needed, acts, and starts it again if it was running before.</summary>
    private static IEnumerable<RunStep> PlanWhileStopped(Operation op, RunStep act)
    {
        yield return new RunStep("status", A.Status, op.Index, ImmutableDictionary<string, string>.Empty);
        var wasRunning = Find(op, "status")!.Data.GetValueOrDefault("state") is "running" or "starting";
        if (wasRunning)
        {
            yield return new RunStep("quit", A.Quit, op.Index, ImmutableDictionary<string, string>.Empty);
            yield return new RunStep("waitstopped", A.WaitStopped, op.Index, ImmutableDictionary<string, string>.Empty);
        }

        yield return act;
        if (wasRunning)
        {
            yield return new RunStep("launch", A.Launch, op.Index, ImmutableDictionary<string, string>.Empty);
            yield return new RunStep("waitbooted", A.WaitBooted, op.Index, ImmutableDictionary<string, string>.Empty);
        }
    }

    private static IEnumerable<RunStep> PlanRecycle(Operation op)
    {
        var none = ImmutableDictionary<string, string>.Empty;
        yield return new RunStep("quit", A.Quit, op.Index, none);
        yield return new RunStep("waitstopped", A.WaitStopped, op.Index, none);
        yield return new RunStep("restore", A.Restore, op.Index, Pick(op.Parameters, P.File));
        yield return new RunStep("launch", A.Launch, op.Index, none);
        yield return new RunStep("waitbooted", A.WaitBooted, op.Index, Pick(op.Parameters, P.Timeout));
    }

    public static IReadOnlyList<string> AppsOf(IReadOnlyDictionary<string, string> parameters) =>
        parameters.TryGetValue(Apps, out var apps)
            ? apps.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];

    public static bool IsApkPath(string app) =>
        app.EndsWith(".apk", StringComparison.OrdinalIgnoreCase) || app.Contains('\\', StringComparison.Ordinal) || app.Contains('/', StringComparison.Ordinal);

    private static Step? Find(Operation op, string name)
    {
        for (var i = op.Steps.Length - 1; i >= 0; i--)
        {
            if (op.Steps[i].Name == name)
            {
                return op.Steps[i];
            }
        }

        return null;
    }

    private static IReadOnlyDictionary<string, string> Pick(IReadOnlyDictionary<string, string> parameters, params IEnumerable<string> keys) =>
        keys.Where(parameters.ContainsKey).ToImmutableDictionary(k => k, k => parameters[k], StringComparer.Ordinal);
}
