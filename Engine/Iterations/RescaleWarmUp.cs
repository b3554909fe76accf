using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Iterations;

namespace Dataflow.Iterations;

/// <summary>The engine's part of the code a rescale runs, compiled ahead by a worker process (<see cref="JitWarmUp"/>).</summary>
public static class RescaleWarmUp
{
    /// <summary>The types whose methods a rescale runs in the engine.</summary>
    public static IReadOnlyList<Type> Roots { get; } = [typeof(IterationNode), typeof(MovableState), typeof(KeyedState), typeof(SuperstepSynchronizer)];
}
