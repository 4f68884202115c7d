using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Protocol.Commands;
using static LdFleet.Functions.Tests.Operations.Decide;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>Every workflow's plan, played against a relay that answers as LDPlayer would.</summary>
public sealed class WorkflowTests
{
    [Theory]
    [MemberData(nameof(SingleActions))]
    public void EverySingleCommandWorkflow_RunsExactlyItsAction(string action)
    {
        var parameters = RequiredParameters(action);
        var request = new OperationRequest { Workflow = action, SiteId = "site-1", HostId = "host-1", Index = EmulatorActions.HostWide.Contains(action) ? null : 3, Parameters = parameters };
        Assert.Empty(OperationRequestValidator.Validate(request));

        var (done, actions) = RunToEnd(Start(action, request.Index, parameters));

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal([action], actions);
        Assert.True(ActionPolicy.For(action, Options).ExecutionTimeout > TimeSpan.Zero);
    }

    public static TheoryData<string> SingleActions() => [.. ActionPolicy.SingleCommandActions.Where(a => !WorkflowCatalog.Composite.Contains(a))];

    [Fact]
    public void Provision_AddsModifiesLaunchesWaitsInstallsRuns_AndTargetsTheNewIndex()
    {
        var parameters = new Dictionary<string, string> { ["title"] = "qa", ["resolution"] = "1280,720,240", ["apps"] = "com.a; C:\\apks\\b.apk", ["runApp"] = "com.a" };

        var (done, actions) = RunToEnd(Start(WorkflowCatalog.Provision, null, parameters));

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal(["add", "modify", "launch", "waitbooted", "installapp", "installapp", "runapp"], actions);
        Assert.All(done.Steps.Skip(1), s => Assert.Equal(7, s.Index));
        Assert.Equal("7", done.Result["index"]);
        Assert.Equal("LDPlayer-7", done.Result["title"]);
        Assert.Equal("com.a", done.Steps[4].Parameters["packageName"]);
        Assert.Equal("C:\\apks\\b.apk", done.Steps[5].Parameters["apkPath"]);
    }

    [Fact]
    public void Provision_FromTemplate_CopiesInsteadOfAdding_AndSkipsModifyWithoutProfile()
    {
        var (done, actions) = RunToEnd(Start(WorkflowCatalog.Provision, null, new Dictionary<string, string> { ["copyFrom"] = "2" }));

        Assert.Equal(["copy", "launch", "waitbooted"], actions);
        Assert.Equal(2, done.Steps[0].Index);
    }

    [Fact]
    public void Provision_StepFailure_FailsOperationNamingTheStep_AndRunsNothingAfter()
    {
        var (done, actions) = RunToEnd(Start(WorkflowCatalog.Provision, null), c => c.Action == EmulatorActions.Launch ? Result(c, CommandOutcome.Failed, "NoEffect") : Succeed(c));

        Assert.Equal(OperationStatus.Failed, done.Status);
        Assert.Equal(["add", "launch"], actions);
        Assert.Equal("NoEffect", done.ErrorCode);
        Assert.Contains("Step 'launch'", done.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("running", new[] { "status", "quit", "waitstopped", "remove" })]
    [InlineData("starting", new[] { "status", "quit", "waitstopped", "remove" })]
    [InlineData("stopped", new[] { "status", "remove" })]
    public void Delete_QuitsOnlyWhatRuns(string state, string[] expected)
    {
        var (done, actions) = RunToEnd(Start(WorkflowCatalog.Delete), c => c.Action == EmulatorActions.Status ? Result(c, data: new Dictionary<string, string> { ["state"] = state }) : Succeed(c));

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal(expected, actions);
    }

    [Fact]
    public void Delete_AlreadyGone_SucceedsWithNothingToDo()
    {
        var (done, actions) = RunToEnd(Start(WorkflowCatalog.Delete), c => Result(c, CommandOutcome.Failed, "PlayerNotFound"));

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal(["status"], actions);
    }

    [Theory]
    [InlineData(WorkflowCatalog.Rename, "rename")]
    [InlineData(WorkflowCatalog.Modify, "modify")]
    public void RenameAndModify_StopRunningEmulator_ThenRestoreItsRunningState(string workflow, string action)
    {
        var parameters = new Dictionary<string, string> { ["title"] = "new", ["cpu"] = "2" };
        var running = RunToEnd(Start(workflow, 3, parameters)).Actions;
        var stopped = RunToEnd(Start(workflow, 3, parameters), c => c.Action == EmulatorActions.Status ? Result(c, data: new Dictionary<string, string> { ["state"] = "stopped" }) : Succeed(c)).Actions;

        Assert.Equal(["status", "quit", "waitstopped", action, "launch", "waitbooted"], running);
        Assert.Equal(["status", action], stopped);
    }

    [Fact]
    public void Recycle_QuitsRestoresAndBoots()
    {
        var (done, actions) = RunToEnd(Start(WorkflowCatalog.Recycle, 3, new Dictionary<string, string> { ["file"] = "D:\\golden.ldbk" }));

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal(["quit", "waitstopped", "restore", "launch", "waitbooted"], actions);
        Assert.Equal("D:\\golden.ldbk", done.Steps[2].Parameters["file"]);
    }

    [Fact]
    public void Sequence_RunsStepsInOrder_WithTheirParameters()
    {
        var steps = new[]
        {
            new SequenceStep(EmulatorActions.SetProp, new Dictionary<string, string> { ["key"] = "a", ["value"] = "1" }),
            new SequenceStep(EmulatorActions.Reboot, null),
            new SequenceStep(EmulatorActions.GetProp, new Dictionary<string, string> { ["key"] = "a" }),
        };

        var (done, actions) = RunToEnd(Start(WorkflowCatalog.Sequence, 3, steps: steps));

        Assert.Equal(["setprop", "reboot", "getprop"], actions);
        Assert.Equal(["1:setprop", "2:reboot", "3:getprop"], done.Steps.Select(s => s.Name));
    }

    [Fact]
    public void Validator_NamesTheField()
    {
        var errors = OperationRequestValidator.Validate(new OperationRequest { Workflow = WorkflowCatalog.Rename, SiteId = "site-1", HostId = "bad host", Index = -1, Parameters = new Dictionary<string, string> { ["bogus"] = "x" } });

        Assert.Contains("hostId", errors.Keys);
        Assert.Contains("index", errors.Keys);
        Assert.Contains("parameters.bogus", errors.Keys);
        Assert.Contains("parameters.title", errors.Keys);
        Assert.Contains("workflow", OperationRequestValidator.Validate(new OperationRequest { Workflow = "format-c", SiteId = "s", HostId = "h" }).Keys);
    }

    internal static Dictionary<string, string>? RequiredParameters(string action) => action switch
    {
        EmulatorActions.LaunchEx or EmulatorActions.UninstallApp or EmulatorActions.RunApp or EmulatorActions.KillApp or EmulatorActions.InstallApp => new() { ["packageName"] = "com.example" },
        EmulatorActions.Rename => new() { ["title"] = "t" },
        EmulatorActions.Modify => new() { ["cpu"] = "2" },
        EmulatorActions.Adb => new() { ["command"] = "shell ls" },
        EmulatorActions.SetProp or EmulatorActions.Action => new() { ["key"] = "k", ["value"] = "v" },
        EmulatorActions.Locate => new() { ["longitude"] = "1.5", ["latitude"] = "2.5" },
        EmulatorActions.DownCpu => new() { ["rate"] = "50" },
        EmulatorActions.Backup or EmulatorActions.Restore => new() { ["file"] = "D:\\b.ldbk" },
        _ => null,
    };
}
