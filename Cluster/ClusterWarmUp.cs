namespace Dataflow.Cluster;

/// <summary>The cluster's part of the code a rescale runs, compiled ahead by a worker process (<see cref="Dataflow.Runtime.Execution.JitWarmUp"/>).</summary>
public static class ClusterWarmUp
{
    /// <summary>The types whose methods a rescale runs between processes.</summary>
    public static IReadOnlyList<Type> Roots { get; } =
    [
        typeof(ClusterSuperstepHost), typeof(StateMover), typeof(MoveBuffers), typeof(ClusterSession), typeof(DataPlane), typeof(ControlCodec), typeof(ControlChannel),
    ];
}
