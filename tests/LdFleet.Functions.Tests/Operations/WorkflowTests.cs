using LdFleet.Functions.Operations;
using LdFleet.Functions.Operations.Workflows;
using LdFleet.Protocol.Commands;

namespace LdFleet.Functions.Tests.Operations;

/// <summary>
/// Every workflow's plan, run by its real orchestration on the Durable Task backend (Azurite) and answered by a
/// scripted relay that answers as LDPlayer would.
/// </summary>
[Collection("operations")]
public sealed class WorkflowTests
{
    private readonly OperationsFixture _fixture;

    public WorkflowTests(OperationsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task EverySingleCommandWorkflow_RunsExactlyItsAction()
    {
        var site = OperationsFixture.NewSiteId();
        await using var relay = _fixture.Relay(site);
        var actions = ActionPolicy.SingleCommandActions.Where(a => !WorkflowCatalog.Composite.Contains(a)).ToList();
        var started = new List<(string Action, OperationView Operation)>();
        foreach (var (action, i) in actions.Select((a, i) => (a, i)))
        {
            var request = new OperationRequest { Workflow = action, SiteId = site, HostId = "host-1", Index = EmulatorActions.HostWide.Contains(action) ? null : i, Parameters = RequiredParameters(action) };
            Assert.Empty(OperationRequestValidator.Validate(request));
            started.Add((action, await _fixture.StartAsync(request)));
        }

        foreach (var (action, operation) in started)
        {
            var done = await _fixture.EndAsync(operation.Id);
            Assert.True(done.Status == OperationStatus.Succeeded, $"{action}: {done.Status} {done.ErrorCode} {done.Error}");
            var step = Assert.Single(done.Steps);
            Assert.Equal(action, step.Action);
            Assert.Equal($"{done.Id}.1.1", step.CommandId);
            Assert.True(ActionPolicy.For(action, new OperationsOptions()).ExecutionTimeout > TimeSpan.Zero);
        }

        Assert.Equal(actions.Order(StringComparer.Ordinal), relay.Actions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Provision_AddsModifiesLaunchesWaitsInstallsRuns_AndTargetsTheNewIndex()
    {
        var parameters = new Dictionary<string, string> { ["title"] = "qa", ["resolution"] = "1280,720,240", ["apps"] = "com.a; C:\\apks\\b.apk", ["runApp"] = "com.a" };
        var request = Request(WorkflowCatalog.Provision, null, parameters);
        await using var relay = _fixture.Relay(request.SiteId);

        var done = await _fixture.EndAsync((await _fixture.StartAsync(request)).Id);

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal(["add", "modify", "launch", "waitbooted", "installapp", "installapp", "runapp"], relay.Actions);
        Assert.All(done.Steps.Skip(1), s => Assert.Equal(7, s.Index));
        Assert.Equal("7", done.Result["index"]);
        Assert.Equal("LDPlayer-7", done.Result["title"]);
        Assert.Equal(7, done.Index);
        var installs = relay.Received.Where(c => c.Action == EmulatorActions.InstallApp).ToList();
        Assert.Equal("com.a", installs[0].Parameters["packageName"]);
        Assert.Equal("C:\\apks\\b.apk", installs[1].Parameters["apkPath"]);
        Assert.Equal("qa", relay.Received.First().Parameters["title"]);
    }

    [Fact]
    public async Task Provision_FromTemplate_CopiesInsteadOfAdding_AndSkipsModifyWithoutProfile()
    {
        var (done, actions) = await _fixture.RunAsync(Request(WorkflowCatalog.Provision, null, new Dictionary<string, string> { ["copyFrom"] = "2" }));

        Assert.Equal(["copy", "launch", "waitbooted"], actions);
        Assert.Equal(2, done.Steps[0].Index);
    }

    [Fact]
    public async Task Provision_StepFailure_FailsOperationNamingTheStep_AndRunsNothingAfter()
    {
        var (done, actions) = await _fixture.RunAsync(Request(WorkflowCatalog.Provision, null), c => c.Action == EmulatorActions.Launch ? Reply.Failed("NoEffect") : ScriptedRelay.Succeed(c));

        Assert.Equal(OperationStatus.Failed, done.Status);
        Assert.Equal(["add", "launch"], actions);
        Assert.Equal("NoEffect", done.ErrorCode);
        Assert.Contains("Step 'launch'", done.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("running", new[] { "status", "quit", "waitstopped", "remove" })]
    [InlineData("stopped", new[] { "status", "remove" })]
    public async Task Delete_QuitsOnlyWhatRuns(string state, string[] expected)
    {
        var (done, actions) = await _fixture.RunAsync(Request(WorkflowCatalog.Delete), c => c.Action == EmulatorActions.Status ? Reply.Succeeded(new Dictionary<string, string> { ["state"] = state }) : ScriptedRelay.Succeed(c));

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal(expected, actions);
    }

    [Fact]
    public async Task Delete_AlreadyGone_SucceedsWithNothingToDo()
    {
        var (done, actions) = await _fixture.RunAsync(Request(WorkflowCatalog.Delete), _ => Reply.Failed("PlayerNotFound"));

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal(["status"], actions);
    }

    [Theory]
    [InlineData(WorkflowCatalog.Rename, "rename")]
    [InlineData(WorkflowCatalog.Modify, "modify")]
    public async Task RenameAndModify_StopRunningEmulator_ThenRestoreItsRunningState(string workflow, string action)
    {
        var parameters = new Dictionary<string, string> { ["title"] = "new", ["cpu"] = "2" };
        var running = (await _fixture.RunAsync(Request(workflow, 3, parameters))).Actions;
        var stopped = (await _fixture.RunAsync(Request(workflow, 3, parameters), c => c.Action == EmulatorActions.Status ? Reply.Succeeded(new Dictionary<string, string> { ["state"] = "stopped" }) : ScriptedRelay.Succeed(c))).Actions;

        Assert.Equal(["status", "quit", "waitstopped", action, "launch", "waitbooted"], running);
        Assert.Equal(["status", action], stopped);
    }

    [Fact]
    public async Task Recycle_QuitsRestoresAndBoots()
    {
        var (done, actions) = await _fixture.RunAsync(Request(WorkflowCatalog.Recycle, 3, new Dictionary<string, string> { ["file"] = "D:\\golden.ldbk" }));

        Assert.Equal(OperationStatus.Succeeded, done.Status);
        Assert.Equal(["quit", "waitstopped", "restore", "launch", "waitbooted"], actions);
        Assert.Equal(5, done.Steps.Count);
    }

    [Fact]
    public async Task Sequence_RunsStepsInOrder_AndStopsAtTheFirstFailure()
    {
        var steps = new[]
        {
            new SequenceStep(EmulatorActions.SetProp, new Dictionary<string, string> { ["key"] = "a", ["value"] = "1" }),
            new SequenceStep(EmulatorActions.Reboot, null),
            new SequenceStep(EmulatorActions.GetProp, new Dictionary<string, string> { ["key"] = "a" }),
            new SequenceStep(EmulatorActions.Quit, null),
        };

        var (done, actions) = await _fixture.RunAsync(
            Request(WorkflowCatalog.Sequence, 3) with { Steps = steps },
            c => c.Action == EmulatorActions.GetProp ? Reply.Failed("PlayerNotFound") : ScriptedRelay.Succeed(c));

        Assert.Equal(["setprop", "reboot", "getprop"], actions);
        Assert.Equal(["1:setprop", "2:reboot", "3:getprop"], done.Steps.Select(s => s.Name));
        Assert.Equal(OperationStatus.Failed, done.Status);
        Assert.Equal("PlayerNotFound", done.ErrorCode);
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

    internal static OperationRequest Request(string workflow, int? index = 3, Dictionary<string, string>? parameters = null) =>
        new() { Workflow = workflow, SiteId = OperationsFixture.NewSiteId(), HostId = "host-1", Index = index, Parameters = parameters };

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
