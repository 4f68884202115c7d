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

/// <summary>
/// Hands DurableTask.Core the SDK's class-based activities, each execution created in a service scope of its own (as
/// the Functions host runs each activity in the scope of its invocation).
/// </summary>
internal sealed class ActivityShimCreator : ObjectCreator<TaskActivity>
{
    private readonly TaskName _name;
    private readonly Func<IServiceProvider, ITaskActivity> _factory;
    private readonly IServiceScopeFactory _scopes;
    private readonly DurableTaskShimFactory _shims;

    public ActivityShimCreator(TaskName name, Func<IServiceProvider, ITaskActivity> factory, IServiceScopeFactory scopes, DurableTaskShimFactory shims)
    {
        _name = name;
        _factory = factory;
        _scopes = scopes;
        _shims = shims;
        Name = name.Name;
        Version = string.Empty;
    }

    public override TaskActivity Create() => _shims.CreateActivity(_name, new ScopedActivity(_factory, _scopes));

    private sealed class ScopedActivity(Func<IServiceProvider, ITaskActivity> factory, IServiceScopeFactory scopes) : ITaskActivity
    {
        private ITaskActivity? _probe;

        // The shim asks for the types before it runs the activity: a throwaway instance answers (activities are cheap).
        public Type InputType => Probe.InputType;

        public Type OutputType => Probe.OutputType;

        private ITaskActivity Probe
        {
            get
            {
                if (_probe is null)
                {
                    using var scope = scopes.CreateScope();
                    _probe = factory(scope.ServiceProvider);
                }

                return _probe;
            }
        }

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            await using var scope = scopes.CreateAsyncScope();
            return await factory(scope.ServiceProvider).RunAsync(context, input);
        }
    }
}
