using DurableTask.Core;
using DurableTask.Core.Middleware;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker.Shims;

namespace LdFleet.Functions.Durable.SelfHosted;

/// <summary>
/// Hands DurableTask.Core the SDK's class-based orchestrators, wrapped by <see cref="DurableTaskShimFactory"/>. The shim
/// is built lazily, on the first episode: the worker asks for the object before its dispatch middleware runs, and only
/// the middleware sees the runtime state that names the parent of a sub-orchestration (without it
/// <c>context.Parent</c> would always be null).
/// </summary>
internal sealed class OrchestrationShimCreator : ObjectCreator<TaskOrchestration>
{
    private readonly TaskName _name;
    private readonly Func<ITaskOrchestrator> _factory;
    private readonly DurableTaskShimFactory _shims;

    public OrchestrationShimCreator(TaskName name, Func<ITaskOrchestrator> factory, DurableTaskShimFactory shims)
    {
        _name = name;
        _factory = factory;
        _shims = shims;
        Name = name.Name;
        Version = string.Empty;
    }

    public override TaskOrchestration Create() => new LazyShim(_name, _factory, _shims);

    /// <summary>Dispatch middleware that tells a lazy shim its parent before it runs.</summary>
    public static Task PassParentAsync(DispatchMiddlewareContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetProperty<TaskOrchestration>() is LazyShim shim
            && context.GetProperty<OrchestrationRuntimeState>()?.ParentInstance is { } parent)
        {
            shim.Parent = new ParentOrchestrationInstance(parent.Name, parent.OrchestrationInstance.InstanceId);
        }

        return next();
    }

    private sealed class LazyShim(TaskName name, Func<ITaskOrchestrator> factory, DurableTaskShimFactory shims) : TaskOrchestration
    {
        private TaskOrchestration? _inner;

        public ParentOrchestrationInstance? Parent { get; set; }

        private TaskOrchestration Inner => _inner ??= shims.CreateOrchestration(name, factory(), Parent);

        public override Task<string> Execute(OrchestrationContext context, string input) => Inner.Execute(context, input);

        public override void RaiseEvent(OrchestrationContext context, string name, string input) => Inner.RaiseEvent(context, name, input);

        public override string GetStatus() => Inner.GetStatus();
    }
}

/// <summary>Hands DurableTask.Core the SDK's class-based activities, created with DI for each execution.</summary>
internal sealed class ActivityShimCreator : ObjectCreator<TaskActivity>
{
    private readonly TaskName _name;
    private readonly Func<ITaskActivity> _factory;
    private readonly DurableTaskShimFactory _shims;

    public ActivityShimCreator(TaskName name, Func<ITaskActivity> factory, DurableTaskShimFactory shims)
    {
        _name = name;
        _factory = factory;
        _shims = shims;
        Name = name.Name;
        Version = string.Empty;
    }

    public override TaskActivity Create() => _shims.CreateActivity(_name, _factory());
}
